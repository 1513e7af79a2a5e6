import Foundation
import Testing
import MetaChecksum

@Suite struct ManifestDigestTests {
    /// Files whose C-locale order (uppercase before `_` before lowercase, bytes) differs from a
    /// case-insensitive one, in nested folders.
    static let files: [(path: String, contents: String)] = [
        ("images_background/b/x_01.png", "one"), ("images_background/B/x_02.png", "two"),
        ("images_background/_c/x.png", "three"), ("images_evaluation/a/y.png", "four\n"),
        ("images_background/b/x_1.png", ""),
    ]

    @Test func equalsSha256sumOfTheCLocaleSortedManifest() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("metatrain-manifest-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dir) }
        for file in Self.files {
            let url = dir.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.contents.utf8).write(to: url)
        }
        // The command of SOURCE_AND_LICENSE.md, run by the shell's own tools.
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "find images_background images_evaluation -type f -name '*.png' | LC_ALL=C sort "
                                 + "| xargs -d '\\n' sha256sum | sha256sum"]
        shell.currentDirectoryURL = dir
        let pipe = Pipe()
        shell.standardOutput = pipe
        try shell.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        shell.waitUntilExit()
        let expected = try #require(output.split(separator: " ").first.map(String.init))
        #expect(expected.count == 64)

        let digest = ManifestDigest.hexDigest(Self.files.map { ($0.path, SHA256.hexDigest(Array($0.contents.utf8))) })
        #expect(digest == expected)
    }

    @Test func dependsOnContentAndPathsNotOnTheOrderGiven() {
        let listed = Self.files.map { ($0.path, SHA256.hexDigest(Array($0.contents.utf8))) }
        #expect(ManifestDigest.hexDigest(listed) == ManifestDigest.hexDigest(listed.reversed()))
        var changed = listed
        changed[0].1 = SHA256.hexDigest(Array("One".utf8))
        #expect(ManifestDigest.hexDigest(changed) != ManifestDigest.hexDigest(listed))
        var moved = listed
        moved[0].0 = "images_background/b/x_03.png"
        #expect(ManifestDigest.hexDigest(moved) != ManifestDigest.hexDigest(listed))
    }
}
