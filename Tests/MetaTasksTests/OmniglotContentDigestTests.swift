import Foundation
import Testing
import MetaChecksum
import MetaTasks

/// The data set's identity is its content digest: the same images give the same digest however
/// they are packed, other images another one, and a pinned digest is enforced.
@Suite struct OmniglotContentDigestTests {
    @Test func zipsAndFoldersOfTheSameImagesHaveTheManifestDigestOfTheirPNGs() throws {
        let files = OmniglotSyntheticDataTests.files()
        let zipped = try OmniglotFixture.temporaryDirectory(), folders = try OmniglotFixture.temporaryDirectory()
        defer { for d in [zipped, folders] { try? FileManager.default.removeItem(at: d) } }
        try OmniglotSyntheticDataTests.writeZips(files, to: zipped)
        for (name, bytes) in files {
            let url = folders.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        let expected = ManifestDigest.hexDigest(files.map { ($0.0, SHA256.hexDigest($0.1)) })
        let fromZips = try OmniglotDataset(directory: zipped.path, split: OmniglotSyntheticDataTests.split)
        let fromFolders = try OmniglotDataset(directory: folders.path, split: OmniglotSyntheticDataTests.split)
        #expect(fromZips.contentDigest == expected)
        #expect(fromFolders.contentDigest == expected)
        let zips = OmniglotDataset.archives.map { zipped.appendingPathComponent($0 + ".zip").path }
        #expect(try OmniglotDataset.contentDigest(zipFiles: zips) == expected)
    }

    @Test func otherImagesHaveAnotherDigestAndAPinnedDigestIsEnforcedInOneLine() throws {
        var files = OmniglotSyntheticDataTests.files()
        let dir = try OmniglotFixture.temporaryDirectory(), other = try OmniglotFixture.temporaryDirectory()
        defer { for d in [dir, other] { try? FileManager.default.removeItem(at: d) } }
        try OmniglotSyntheticDataTests.writeZips(files, to: dir)
        (files[0].1, files[1].1) = (files[1].1, files[0].1)   // two drawings swapped
        try OmniglotSyntheticDataTests.writeZips(files, to: other)
        let data = try OmniglotDataset(directory: dir.path, split: OmniglotSyntheticDataTests.split)
        let swapped = try OmniglotDataset(directory: other.path, split: OmniglotSyntheticDataTests.split)
        #expect(data.contentDigest != swapped.contentDigest)

        try data.checkContent(nil)
        try data.checkContent(data.contentDigest)
        let error = try #require(throws: OmniglotError.self) { try swapped.checkContent(data.contentDigest) }
        #expect(error.kind == .otherContent)
        #expect(error.description.contains("\(other.path) have content digest \(swapped.contentDigest), not \(data.contentDigest)"))
        #expect(error.description.contains(OmniglotDataset.environmentVariable))
        #expect(!error.description.contains("\n"))
    }

    @Test func aMissingZipFileIsNamed() throws {
        let error = try #require(throws: OmniglotError.self) {
            try OmniglotDataset.contentDigest(zipFiles: ["/nonexistent/a.zip", "/nonexistent/b.zip"])
        }
        #expect(error.kind == .missingArchive)
        #expect(error.description.contains("/nonexistent/a.zip"))
    }
}

/// The official archives' digest, as SOURCE_AND_LICENSE.md publishes it.
@Suite(.enabled(if: OmniglotFixture.available, OmniglotFixture.skipMessage))
struct OmniglotOfficialDigestTests {
    static let published = "8745d3284205c70953ebeacd9061b7dfdadc5961afab7b71a1553c9aa5bcb1af"

    @Test func theOfficialArchivesHaveThePublishedManifestDigest() throws {
        #expect(try OmniglotFixture.dataset().contentDigest == Self.published)
        #expect(OmniglotDataset.officialContentDigest == Self.published)
        let zips = OmniglotDataset.archives.map { OmniglotFixture.directory + "/" + $0 + ".zip" }
        #expect(try OmniglotDataset.contentDigest(zipFiles: zips) == Self.published)
    }
}
