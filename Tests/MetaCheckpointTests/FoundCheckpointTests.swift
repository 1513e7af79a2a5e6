import Foundation
import Testing
import MetaCheckpoint

/// A checkpoint found from a path: a file as it is, a run directory's newest that verifies.
@Suite struct FoundCheckpointTests {
    @Test func aFileIsReadAsItIsWithNothingSkipped() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("a.ckpt")
        try RunCheckpointTests.sample(iteration: 9).write(to: url)

        let found = try FoundCheckpoint.at(path: url.path)
        #expect(found.checkpoint.iteration == 9)
        #expect(found.file.path == url.path)
        #expect(found.skipped.isEmpty)
        #expect(try FoundCheckpoint.kind(of: url) == .file)
    }

    @Test func aRunDirectoryGivesItsNewestCheckpointThatVerifiesAndTheDamagedOnesSkipped() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try RunCheckpointTests.sample(iteration: 100).write(to: dir.appendingPathComponent("it100.ckpt"))
        let newest = dir.appendingPathComponent("it200.ckpt")
        try RunCheckpointTests.sample(iteration: 200).write(to: newest)
        let data = try Data(contentsOf: newest)
        try data.prefix(data.count - 10).write(to: newest)

        let found = try FoundCheckpoint.at(path: dir.path)
        #expect(found.checkpoint.iteration == 100)
        #expect(found.file.lastPathComponent == "it100.ckpt")
        #expect(found.skipped.count == 1)
        #expect(found.skipped.first?.contains("it200.ckpt") == true)
        #expect(try FoundCheckpoint.kind(of: dir) == .runDirectory)
    }

    @Test func aMissingPathIsNamedInOneLine() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("metatrain-missing-\(UUID().uuidString)").path
        let error = #expect(throws: CheckpointError.self) { try FoundCheckpoint.at(path: path) }
        #expect(error?.description == "no such checkpoint file or run directory: \(path)")
    }

    @Test func aDamagedFileIsAnErrorNamingIt() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("bad.ckpt")
        try Data("not a checkpoint".utf8).write(to: url)
        let error = #expect(throws: CheckpointError.self) { try FoundCheckpoint.at(path: url.path) }
        #expect(error?.description.contains(url.path) == true, "\(String(describing: error))")
    }

    @Test func aConfigurationThatDoesNotParseIsAnErrorNamingTheFile() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("odd.ckpt")
        var checkpoint = RunCheckpointTests.sample()
        checkpoint.configurationYAML = "no_such_key: 1\n"
        try checkpoint.write(to: url)

        let found = try FoundCheckpoint.file(url)
        let error = #expect(throws: CheckpointError.self) { try found.configuration() }
        #expect(error?.description.hasPrefix("the configuration of \(url.path): ") == true, "\(String(describing: error))")
    }
}
