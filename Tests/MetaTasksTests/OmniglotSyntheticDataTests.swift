import Foundation
import Testing
import MetaTasks

/// The loader on a tiny data set made in the test (two characters, one per archive, under a
/// two-line split): runs without the real archives.
@Suite struct OmniglotSyntheticDataTests {
    static let split: OmniglotSplit = {
        let table = "train images_background/Alpha/character01\ntest images_evaluation/Beta/character01\n"
        let unchecked = OmniglotSplit(name: "tiny", table: table, checksum: "")
        return OmniglotSplit(name: "tiny", table: table, checksum: unchecked.computedChecksum)
    }()

    /// Drawing `d` of character `id`: a 1-bit 105×105 image (1 = white, 0 = ink) with a
    /// filled rectangle whose size depends on both, so every image differs.
    static func drawing(id: Int, _ d: Int, side: Int = 105) -> [[UInt8]] {
        (0..<side).map { y in (0..<side).map { x in (x >= 7 * id && x < 30 + 3 * d && y > d && y < 60 + id) ? 0 : 1 } }
    }

    static func files(skipping skipped: String? = nil, small: String? = nil) -> [(String, [UInt8])] {
        var files: [(String, [UInt8])] = []
        for (id, path) in [(1, "images_background/Alpha/character01"), (2, "images_evaluation/Beta/character01")] {
            for d in 1...20 {
                let name = "\(path)/000\(id)_\(d < 10 ? "0" : "")\(d).png"
                if name == skipped { continue }
                files.append((name, PNGBuilder.gray(drawing(id: id, d - 1, side: name == small ? 50 : 105), bitDepth: 1)))
            }
        }
        return files
    }

    static func writeZips(_ files: [(String, [UInt8])], to dir: URL, deflate: Bool = true) throws {
        for archive in OmniglotDataset.archives {
            let items = files.filter { $0.0.hasPrefix(archive + "/") }.map { ZipBuilder.Item(name: $0.0, contents: $0.1, deflate: deflate) }
            try Data(ZipBuilder(items: items).bytes()).write(to: dir.appendingPathComponent(archive + ".zip"))
        }
    }

    @Test(arguments: [true, false])
    func loadsATinyDataSet(deflate: Bool) throws {
        let dir = try OmniglotFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.writeZips(Self.files(), to: dir, deflate: deflate)
        let data = try OmniglotDataset(directory: dir.path, split: Self.split)
        #expect(data.characters.map(\.path) == ["images_background/Alpha/character01", "images_evaluation/Beta/character01"])
        #expect(data.characters.map(\.id) == [1, 2] && data.characters.map(\.alphabet) == ["Alpha", "Beta"])
        #expect(data.characterIndices(in: .train) == [0] && data.characterIndices(in: .test) == [1])
        #expect(data.characterIndices(in: .validation).isEmpty)
        for (c, id) in [(0, 1), (1, 2)] {
            for d in 0..<20 {
                let gray = Self.drawing(id: id, d).flatMap { $0 }.map { $0 == 1 ? UInt8(255) : 0 }
                #expect(data.image(character: c, drawing: d) == referenceResize(gray))
            }
        }
        #expect(data.image(character: 0, drawing: 0).contains(255))
    }

    @Test func loadsUnzippedFolders() throws {
        let dir = try OmniglotFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let zipped = try OmniglotFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: zipped) }
        for (name, bytes) in Self.files() {
            let url = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        try Data("ignored".utf8).write(to: dir.appendingPathComponent("images_background/Alpha/.DS_Store"))
        try Self.writeZips(Self.files(), to: zipped)
        let fromFolders = try OmniglotDataset(directory: dir.path, split: Self.split)
        let fromZips = try OmniglotDataset(directory: zipped.path, split: Self.split)
        #expect(fromFolders.characters == fromZips.characters)
        for c in 0..<2 { for d in 0..<20 { #expect(fromFolders.image(character: c, drawing: d) == fromZips.image(character: c, drawing: d)) } }
    }

    @Test func charactersDifferentFromTheSplitAreReported() throws {
        let dir = try OmniglotFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.writeZips(Self.files(), to: dir)
        let error = try #require(throws: OmniglotError.self) { try OmniglotDataset(directory: dir.path) }
        #expect(error.kind == .splitMismatch)
        #expect(error.description.contains("do not match split omniglot-split-v1: 1623 of its characters are missing (first: images_background/Alphabet_of_the_Magi/character01); 2 characters are not in it (first: images_background/Alpha/character01)"))
    }

    @Test func aMissingDrawingIsReported() throws {
        let dir = try OmniglotFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.writeZips(Self.files(skipping: "images_evaluation/Beta/character01/0002_07.png"), to: dir)
        let error = try #require(throws: OmniglotError.self) { try OmniglotDataset(directory: dir.path, split: Self.split) }
        #expect(error.kind == .badCharacter)
        #expect(error.description.contains("images_evaluation/Beta/character01 in \(dir.path): expected exactly the 20 drawings"))
        #expect(error.description.contains("found 19 files"))
    }

    @Test func aWrongSizedImageIsReported() throws {
        let dir = try OmniglotFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let small = "images_background/Alpha/character01/0001_13.png"
        try Self.writeZips(Self.files(small: small), to: dir)
        let error = try #require(throws: OmniglotError.self) { try OmniglotDataset(directory: dir.path, split: Self.split) }
        #expect(error.kind == .badImage)
        #expect(error.description == "Omniglot: \(dir.path)/images_background.zip: entry \(small): expected a 105×105 image, found 50×50")
    }

    @Test func aSplitThatFailsItsChecksumIsRefused() throws {
        let bad = OmniglotSplit(name: "tiny", table: Self.split.table, checksum: String(repeating: "0", count: 64))
        let error = try #require(throws: OmniglotError.self) { try OmniglotDataset(directory: "/nonexistent", split: bad) }
        #expect(error.kind == .splitTable)
    }
}
