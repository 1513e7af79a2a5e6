import Testing
import Foundation
import MetaCheckpoint

/// A run directory is locked by one run, cleaned of a killed run's temporary files, and never
/// mistaken for an empty one when it cannot be listed.
@Suite struct RunDirectoryTests {
    @Test func aRunDirectoryThatIsARegularFileIsAListingErrorNotAnEmptyDirectory() throws {
        let base = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: base) }
        let file = base.appendingPathComponent("run")
        try Data("not a directory".utf8).write(to: file)
        do {
            _ = try CheckpointStore.newest(in: file)
            Issue.record("a regular file was read as a run directory")
        } catch let error as CheckpointError {
            #expect(error.description.contains("cannot list the run directory \(file.path)"), "\(error)")
            #expect(error.description.contains("Not a directory"), "\(error)")
            #expect(!error.description.contains("\n"))
        }
        #expect(throws: CheckpointError.self) { try CheckpointStore(directory: file, keep: 1).checkpointNamesOnDisk() }
    }

    @Test func aMissingDirectoryListsNoCheckpoints() throws {
        let base = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: base) }
        #expect(try CheckpointStore(directory: base.appendingPathComponent("absent"), keep: 1).checkpointNamesOnDisk().isEmpty)
    }

    @Test func aSecondLockOnTheSameDirectoryIsRefusedNamingTheHolder() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var first: RunDirectory? = try RunDirectory(dir)
        do {
            _ = try RunDirectory(dir)
            Issue.record("two owners of one run directory")
        } catch let error as CheckpointError {
            #expect(error.description.contains(dir.path), "\(error)")
            #expect(error.description.contains("in use by another metatrain process (pid \(getpid()))"), "\(error)")
        }
        #expect(first != nil)
        first = nil  // releases the lock
        #expect(throws: Never.self) { _ = try RunDirectory(dir) }
    }

    @Test func leftoverTemporaryFilesAreRemovedAndNothingElse() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let leftovers = [".final.ckpt.tmp-4242", ".manifest.json.tmp-17"]
        let keep = ["final.ckpt", "notes.tmp-1", ".tmp-5", ".final.ckpt.tmp-", "metrics.jsonl"]
        for name in leftovers + keep { try Data("x".utf8).write(to: dir.appendingPathComponent(name)) }
        let run = try RunDirectory(dir)
        #expect(try run.removeLeftoverTemporaryFiles() == leftovers.sorted())
        #expect(try CheckpointStoreTests.names(in: dir) == (keep + [RunDirectory.lockName]).sorted())
    }

    @Test func previousRunFilesListCheckpointsOnDiskAndInTheManifest() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try RunDirectory(dir)
        try Data("{}\n".utf8).write(to: dir.appendingPathComponent("metrics.jsonl"))
        #expect(try run.previousRunFiles().isEmpty)
        try CheckpointStore(directory: dir, keep: 2).write(RunCheckpointTests.smallV2(iteration: 3), name: "iteration-3.ckpt")
        #expect(try run.previousRunFiles() == ["iteration-3.ckpt"])
        try FileManager.default.removeItem(at: dir.appendingPathComponent("iteration-3.ckpt"))
        #expect(try run.previousRunFiles() == ["iteration-3.ckpt"])  // still listed in the manifest
    }

    @Test func discardingAPreviousRunRemovesItsOutputsAndKeepsOtherFiles() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try RunDirectory(dir)
        let store = CheckpointStore(directory: dir, keep: 2)
        try store.write(RunCheckpointTests.smallV2(iteration: 3), name: "iteration-3.ckpt")
        try store.write(RunCheckpointTests.smallV2(iteration: 4), name: "final.ckpt")
        for name in ["metrics.jsonl", "evaluation.json", "config.yaml", "report.html", "events.out.tfevents.1700000000.host",
                     "events.out.tfevents.1700000100.host"] {
            try Data("x".utf8).write(to: dir.appendingPathComponent(name))
        }
        #expect(try Set(run.discardPreviousRun())
                == ["iteration-3.ckpt", "final.ckpt", CheckpointStore.manifestName, "metrics.jsonl", "evaluation.json",
                    "events.out.tfevents.1700000000.host", "events.out.tfevents.1700000100.host"])
        #expect(try CheckpointStoreTests.names(in: dir) == [RunDirectory.lockName, "config.yaml", "report.html"].sorted())
        #expect(try run.previousRunFiles().isEmpty)
    }
}
