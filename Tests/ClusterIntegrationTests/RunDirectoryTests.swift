import Foundation
import Testing
import MetaCheckpoint

/// A run directory belongs to one run: a fresh run never replaces a finished one by accident,
/// two processes never share one, and a killed run's temporary files do not outlive it.
@Suite struct RunDirectoryTests {
    static let quick = ["--preset", "sine-maml", "--eval-tasks", "4"]

    /// `train --iterations N` of the quick job into `dir` (extra flags appended).
    static func train(_ iterations: Int, _ dir: URL, _ extra: [String] = [], label: String) throws -> (status: Int32, log: String) {
        try Cluster.run(["train"] + quick + ["--iterations", "\(iterations)", "--run-dir", dir.path] + extra,
                        directory: dir, label: label)
    }

    static func finalIteration(_ dir: URL) throws -> Int {
        try RunCheckpoint.read(from: dir.appendingPathComponent("final.ckpt")).iteration
    }

    @Test func aFreshRunIntoAFinishedRunDirectoryRefusesAndLeavesItUntouched() throws {
        let dir = Cluster.temporaryDirectory("refuse")
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try Self.train(20, dir, label: "first")
        #expect(first.status == 0, "\(first.log)")
        let finished = try Data(contentsOf: dir.appendingPathComponent("final.ckpt"))
        let metrics = try Data(contentsOf: dir.appendingPathComponent("metrics.jsonl"))

        let second = try Self.train(5, dir, label: "second")
        #expect(second.status != 0, "\(second.log)")
        let errors = second.log.split(separator: "\n").filter { $0.contains("already holds a run") }
        #expect(errors.count == 1, "\(second.log)")
        #expect(errors.first.map { $0.contains(dir.path) && $0.contains("final.ckpt") && $0.contains("--resume") && $0.contains("--overwrite") } == true,
                "\(second.log)")
        #expect(try Data(contentsOf: dir.appendingPathComponent("final.ckpt")) == finished)
        #expect(try Data(contentsOf: dir.appendingPathComponent("metrics.jsonl")) == metrics)
    }

    @Test func overwriteStartsAfreshAndResumeContinuesAFinishedRun() throws {
        let dir = Cluster.temporaryDirectory("overwrite")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try Self.train(20, dir, ["--checkpoint-every", "10"], label: "first").status == 0)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("iteration-10.ckpt").path))

        let fresh = try Self.train(5, dir, ["--overwrite"], label: "fresh")
        #expect(fresh.status == 0, "\(fresh.log)")
        #expect(try Self.finalIteration(dir) == 5)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("iteration-10.ckpt").path))
        let metrics = try String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        #expect(!metrics.contains("\"iteration\":20") && !metrics.contains("iteration-10.ckpt"), "\(metrics)")
        #expect(metrics.contains("\"iteration\":5"))

        let resumed = try Self.train(12, dir, ["--resume"], label: "resumed")
        #expect(resumed.status == 0, "\(resumed.log)")
        #expect(resumed.log.contains("resuming from final.ckpt at iteration 5"), "\(resumed.log)")
        #expect(try Self.finalIteration(dir) == 12)

        let both = try Self.train(5, dir, ["--resume", "--overwrite"], label: "both")
        #expect(both.status != 0 && both.log.contains("pass one of them"), "\(both.log)")
    }

    @Test func aSecondRunOnADirectoryInUseStopsNamingTheHolder() throws {
        let dir = Cluster.temporaryDirectory("lock")
        defer { try? FileManager.default.removeItem(at: dir) }
        // A coordinator waiting for a worker that never comes holds the directory.
        let coordinator = try Cluster.Child(["coordinator"] + Self.quick + ["--iterations", "20", "--bind", "tcp://127.0.0.1:*",
                                                                           "--run-dir", dir.path],
                                            directory: dir, label: "coordinator")
        defer { coordinator.kill9() }
        #expect(Cluster.endpoint(in: dir) != nil, "\(coordinator.log)")

        let second = try Self.train(5, dir, label: "second")
        #expect(second.status != 0, "\(second.log)")
        let line = second.log.split(separator: "\n").first { $0.contains("in use by another metatrain process") }
        #expect(line?.contains(dir.path) == true && line?.contains("(pid \(coordinator.process.processIdentifier))") == true,
                "\(second.log)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("final.ckpt").path))

        // The kernel drops the lock with its holder, even after SIGKILL.
        coordinator.kill9()
        let third = try Self.train(5, dir, label: "third")
        #expect(third.status == 0, "\(third.log)")
    }

    @Test func temporaryFilesOfAKilledRunAreRemovedOnStart() throws {
        let dir = Cluster.temporaryDirectory("leftover")
        defer { try? FileManager.default.removeItem(at: dir) }
        let leftovers = [".iteration-300.ckpt.tmp-4242", ".manifest.json.tmp-4242"]
        for name in leftovers { try Data(count: 100).write(to: dir.appendingPathComponent(name)) }
        let run = try Self.train(20, dir, label: "train")
        #expect(run.status == 0, "\(run.log)")
        #expect(run.log.contains("removed 2 temporary file(s)"), "\(run.log)")
        for name in leftovers { #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path), "\(name)") }
        #expect(try Self.finalIteration(dir) == 20)
    }

    @Test func sigtermExits143AndSigintExits130AfterWritingACheckpoint() throws {
        for (sig, status) in [(SIGTERM, Int32(143)), (SIGINT, Int32(130))] {
            let dir = Cluster.temporaryDirectory("signal-\(sig)")
            defer { try? FileManager.default.removeItem(at: dir) }
            let run = try Cluster.Child(["train"] + Self.quick + ["--iterations", "1000000", "--run-dir", dir.path],
                                        directory: dir, label: "train")
            #expect(Cluster.waitFor(seconds: 60) {
                ((try? String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8)) ?? "").contains("\"kind\":\"train\"")
            }, "\(run.log)")
            kill(run.process.processIdentifier, sig)
            #expect(run.wait(seconds: 60) == status, "signal \(sig): \(run.log)")
            #expect(run.log.contains("stopped by a signal at iteration"), "\(run.log)")
            #expect(try CheckpointStore.newest(in: dir).checkpoint.iteration >= 100)
        }
    }
}
