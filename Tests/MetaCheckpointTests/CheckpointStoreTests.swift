import Testing
import Foundation
import MetaAlgorithms
import MetaCheckpoint
import MetaChecksum

/// The store keeps the last K periodic checkpoints, lists every file it wrote in its manifest,
/// and loads the newest that verifies, with or without a usable manifest.
@Suite struct CheckpointStoreTests {
    static func names(in dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    /// The manifest's entries by name: (iteration, bytes, sha256).
    static func manifest(in dir: URL) throws -> [String: (Int, Int, String)] {
        let data = try Data(contentsOf: dir.appendingPathComponent(CheckpointStore.manifestName))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let entries = try #require(object["checkpoints"] as? [[String: Any]])
        var result: [String: (Int, Int, String)] = [:]
        for e in entries {
            result[try #require(e["name"] as? String)] = (try #require(e["iteration"] as? Int), try #require(e["bytes"] as? Int),
                                                          try #require(e["sha256"] as? String))
        }
        return result
    }

    static func truncate(_ url: URL, by count: Int) throws {
        let data = try Data(contentsOf: url)
        try data.prefix(data.count - count).write(to: url)
    }

    @Test func keepsTheNewestKPeriodicCheckpointsAndEveryOtherName() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = CheckpointStore(directory: dir, keep: 2)
        try store.write(RunCheckpointTests.smallV2(iteration: 1), name: "best.ckpt")
        var deleted: [String] = []
        for i in [10, 20, 30, 40] {
            deleted += try store.write(RunCheckpointTests.smallV2(iteration: i), name: CheckpointStore.periodicName(iteration: i)).deleted
        }
        let report = try store.write(RunCheckpointTests.smallV2(iteration: 45), name: "final.ckpt")
        #expect(report.deleted.isEmpty)
        #expect(deleted == ["iteration-10.ckpt", "iteration-20.ckpt"])
        #expect(try Self.names(in: dir) == ["best.ckpt", "final.ckpt", "iteration-30.ckpt", "iteration-40.ckpt", "manifest.json"])

        // The manifest lists exactly the files on disk, with their iteration, size and hash.
        let manifest = try Self.manifest(in: dir)
        #expect(Set(manifest.keys) == ["best.ckpt", "final.ckpt", "iteration-30.ckpt", "iteration-40.ckpt"])
        for (name, entry) in manifest {
            let bytes = try Data(contentsOf: dir.appendingPathComponent(name))
            #expect(entry.1 == bytes.count && entry.2 == SHA256.hexDigest(bytes), "\(name)")
            #expect(entry.0 == (try RunCheckpoint.read(from: dir.appendingPathComponent(name))).iteration)
        }
        #expect(report.sha256 == manifest["final.ckpt"]?.2 && report.bytes == manifest["final.ckpt"]?.1 && report.iteration == 45)
        #expect(report.stallSeconds == nil)
        #expect(try store.newest().checkpoint.iteration == 45)
    }

    @Test func retentionNeverDeletesTheCheckpointJustWritten() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = CheckpointStore(directory: dir, keep: 1)
        try store.write(RunCheckpointTests.smallV2(iteration: 100), name: "iteration-100.ckpt")
        let report = try store.write(RunCheckpointTests.smallV2(iteration: 50), name: "iteration-50.ckpt")
        #expect(report.deleted.isEmpty)
        #expect(try Self.names(in: dir) == ["iteration-100.ckpt", "iteration-50.ckpt", "manifest.json"])
        let next = try store.write(RunCheckpointTests.smallV2(iteration: 150), name: "iteration-150.ckpt")
        #expect(next.deleted == ["iteration-50.ckpt", "iteration-100.ckpt"])
    }

    @Test func periodicNamesAreRecognisedExactly() {
        #expect(CheckpointStore.periodicIteration("iteration-120.ckpt") == 120)
        #expect(CheckpointStore.periodicName(iteration: 7) == "iteration-7.ckpt")
        for name in ["final.ckpt", "iteration-.ckpt", "iteration-12a.ckpt", "iteration--3.ckpt", "iteration-5.ckpt.bak", "xiteration-5.ckpt"] {
            #expect(CheckpointStore.periodicIteration(name) == nil, "\(name)")
        }
    }

    @Test func invalidNamesAreRejected() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = CheckpointStore(directory: dir, keep: 2)
        for name in ["../escape.ckpt", ".hidden.ckpt", "manifest.json", "a/b.ckpt", "noextension"] {
            #expect(throws: CheckpointError.self, "\(name)") { try store.write(RunCheckpointTests.smallV2(), name: name) }
        }
    }

    @Test func newestSkipsATruncatedNewestFileAndNamesIt() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = CheckpointStore(directory: dir, keep: 5)
        try store.write(RunCheckpointTests.smallV2(iteration: 10), name: "iteration-10.ckpt")
        try store.write(RunCheckpointTests.smallV2(iteration: 20), name: "iteration-20.ckpt")
        try Self.truncate(dir.appendingPathComponent("iteration-20.ckpt"), by: 100)
        let found = try store.newest()
        #expect(found.checkpoint.iteration == 10)
        #expect(found.url.lastPathComponent == "iteration-10.ckpt")
        #expect(found.skipped.count == 1)
        #expect(found.skipped.first?.contains("iteration-20.ckpt") == true)
        #expect(found.skipped.first?.contains("truncated") == true)
        // RunCheckpoint.newest(in:) follows the same rules.
        let same = try RunCheckpoint.newest(in: dir)
        #expect(same.url == found.url && same.skipped == found.skipped)
    }

    @Test func newestSkipsAFileThatNoLongerMatchesItsManifestEntry() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = CheckpointStore(directory: dir, keep: 5)
        try store.write(RunCheckpointTests.smallV2(iteration: 10), name: "iteration-10.ckpt")
        try store.write(RunCheckpointTests.smallV2(iteration: 20), name: "iteration-20.ckpt")
        // A valid checkpoint written behind the store's back: verifies on its own, not against the manifest.
        try RunCheckpointTests.smallV2(iteration: 30).write(to: dir.appendingPathComponent("iteration-20.ckpt"))
        let found = try store.newest()
        #expect(found.checkpoint.iteration == 10)
        #expect(found.skipped.count == 1)
        #expect(found.skipped.first?.contains("iteration-20.ckpt") == true)
        #expect(found.skipped.first?.contains("manifest") == true)
    }

    @Test func unlistedCheckpointsAreVerifiedByTheirOwnChecksum() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = CheckpointStore(directory: dir, keep: 5)
        try store.write(RunCheckpointTests.smallV2(iteration: 10), name: "iteration-10.ckpt")
        try RunCheckpointTests.smallV2(iteration: 20).write(to: dir.appendingPathComponent("final.ckpt"))
        let found = try store.newest()
        #expect(found.checkpoint.iteration == 20 && found.skipped.isEmpty)
        // A damaged unlisted file is skipped by its own checksum.
        try Self.truncate(dir.appendingPathComponent("final.ckpt"), by: 1)
        let again = try store.newest()
        #expect(again.checkpoint.iteration == 10)
        #expect(again.skipped.count == 1 && again.skipped.first?.contains("final.ckpt") == true)
    }

    @Test func corruptManifestFallsBackToEachFilesOwnChecksum() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = CheckpointStore(directory: dir, keep: 5)
        try store.write(RunCheckpointTests.smallV2(iteration: 10), name: "iteration-10.ckpt")
        try store.write(RunCheckpointTests.smallV2(iteration: 20), name: "iteration-20.ckpt")
        let manifestURL = dir.appendingPathComponent(CheckpointStore.manifestName)
        try Data("{\"checkpoints\": [{\"name\": 3".utf8).write(to: manifestURL)
        let found = try store.newest()
        #expect(found.checkpoint.iteration == 20)
        #expect(found.skipped.count == 1 && found.skipped.first?.contains("manifest.json") == true)

        // The next write rebuilds the manifest from the files that verify.
        try Self.truncate(dir.appendingPathComponent("iteration-10.ckpt"), by: 5)
        try store.write(RunCheckpointTests.smallV2(iteration: 30), name: "iteration-30.ckpt")
        #expect(Set(try Self.manifest(in: dir).keys) == ["iteration-20.ckpt", "iteration-30.ckpt"])
        #expect(try store.newest().checkpoint.iteration == 30)
    }

    @Test func missingManifestDoesNotPreventLoading() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = CheckpointStore(directory: dir, keep: 5)
        try store.write(RunCheckpointTests.smallV2(iteration: 10), name: "iteration-10.ckpt")
        try store.write(RunCheckpointTests.smallV2(iteration: 20), name: "iteration-20.ckpt")
        try FileManager.default.removeItem(at: dir.appendingPathComponent(CheckpointStore.manifestName))
        let found = try store.newest()
        #expect(found.checkpoint.iteration == 20 && found.skipped.isEmpty)
    }

    @Test func aListedFileThatIsMissingIsReportedAndTheNextOneLoads() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = CheckpointStore(directory: dir, keep: 5)
        try store.write(RunCheckpointTests.smallV2(iteration: 10), name: "iteration-10.ckpt")
        try store.write(RunCheckpointTests.smallV2(iteration: 20), name: "iteration-20.ckpt")
        try FileManager.default.removeItem(at: dir.appendingPathComponent("iteration-20.ckpt"))
        let found = try store.newest()
        #expect(found.checkpoint.iteration == 10)
        #expect(found.skipped.count == 1 && found.skipped.first?.contains("iteration-20.ckpt") == true)
    }

    @Test func noCheckpointThatVerifiesIsAnErrorListingWhatWasSkipped() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = CheckpointStore(directory: dir, keep: 5)
        try store.write(RunCheckpointTests.smallV2(iteration: 10), name: "iteration-10.ckpt")
        try Self.truncate(dir.appendingPathComponent("iteration-10.ckpt"), by: 1)
        do {
            _ = try store.newest()
            Issue.record("a damaged checkpoint was loaded")
        } catch let error as CheckpointError {
            #expect(error.description.contains(dir.path))
            #expect(error.description.contains("iteration-10.ckpt"))
        }
    }
}
