import Foundation
import Testing

/// What a worker's exit status says (for `restart: on-failure`, Kubernetes and scripts):
/// 0 finished, 3 rejected, 4 the job cannot be built here, 5 gave up, 6 the coordinator
/// stopped before training finished, 143/130 SIGTERM/SIGINT.
@Suite(.serialized) struct WorkerExitStatusTests {
    static let longJob = ["--preset", "sine-maml", "--iterations", "10000000", "--eval-tasks", "4"]

    func coordinator(_ job: [String], dir: URL, extra: [String] = [], environment: [String: String]? = nil,
                     workingDirectory: URL? = nil) throws -> (Cluster.Child, String) {
        let c = try Cluster.Child(["coordinator"] + job + ["--bind", "tcp://127.0.0.1:*", "--run-dir", dir.path] + Cluster.fastHeartbeat
                                  + extra, directory: dir, label: "coordinator", environment: environment, workingDirectory: workingDirectory)
        let endpoint = try #require(Cluster.endpoint(in: dir), "no endpoint: \(c.log)")
        return (c, endpoint)
    }

    func trainingStarted(_ dir: URL) -> Bool {
        Cluster.waitFor(seconds: 60) {
            ((try? String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8)) ?? "").contains("\"kind\":\"train\"")
        }
    }

    @Test func aWorkerThatNeverReachesACoordinatorGivesUpWithStatus5() throws {
        let dir = Cluster.temporaryDirectory("give-up")
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try Cluster.run(["worker", "--connect", "tcp://127.0.0.1:\(Cluster.freePort())", "--give-up-after", "1.5"]
                                  + Cluster.fastHeartbeat, directory: dir, label: "worker", seconds: 60)
        #expect(run.status == 5, "\(run.log)")
        #expect(run.log.contains("giving up"))
    }

    @Test func workersOfAStoppedCoordinatorExitWith6AndASignalledWorkerWith143() throws {
        let dir = Cluster.temporaryDirectory("stopped")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (c, endpoint) = try coordinator(Self.longJob, dir: dir, extra: ["--min-workers", "2"])
        let first = try Cluster.Child(["worker", "--connect", endpoint, "--name", "first"] + Cluster.fastHeartbeat, directory: dir, label: "first")
        let second = try Cluster.Child(["worker", "--connect", endpoint, "--name", "second"] + Cluster.fastHeartbeat, directory: dir,
                                       label: "second")
        #expect(trainingStarted(dir), "\(c.log)")
        kill(second.process.processIdentifier, SIGTERM)
        #expect(second.wait(seconds: 30) == 143, "\(second.log)")
        kill(c.process.processIdentifier, SIGTERM)
        #expect(c.wait(seconds: 60) == 143, "\(c.log)")
        #expect(first.wait(seconds: 30) == 6, "\(first.log)")
        #expect(first.log.contains("before training finished"))
    }

    @Test func aWorkerOfOtherBLASKernelsIsRejectedWithStatus3NamingTheDifference() throws {
        let dir = Cluster.temporaryDirectory("kernels")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (c, endpoint) = try coordinator(["--preset", "sine-maml", "--iterations", "50", "--eval-tasks", "4"], dir: dir)
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = environment["OPENBLAS_CORETYPE"] == "Prescott" ? "Nehalem" : "Prescott"
        let other = try Cluster.Child(["worker", "--connect", endpoint, "--name", "other"] + Cluster.fastHeartbeat, directory: dir,
                                      label: "other", environment: environment)
        #expect(other.wait(seconds: 30) == 3, "\(other.log)")
        #expect(other.log.contains("BLAS kernels"), "\(other.log)")
        let same = try Cluster.Child(["worker", "--connect", endpoint, "--name", "same"] + Cluster.fastHeartbeat, directory: dir, label: "same")
        #expect(same.wait(seconds: 60) == 0, "\(same.log)")
        #expect(c.wait(seconds: 30) == 0, "\(c.log)")
        #expect(c.log.contains("BLAS kernels"), "\(c.log)")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: WorkerExitStatusTests.omniglot.path),
                   "skipped: the Omniglot archives are not at ../shared/datasets/omniglot"))
    func aWorkerThatCannotBuildTheJobExitsWith4() throws {
        // The data folder is each process's own: present where the coordinator runs, missing
        // where the worker does.
        let dir = Cluster.temporaryDirectory("job-fails")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("job.yaml")
        try "preset: omniglot-5w1s-maml\niterations: 5\n".write(to: config, atomically: true, encoding: .utf8)
        var here = ProcessInfo.processInfo.environment, there = here
        here["METATRAIN_OMNIGLOT_DIR"] = Self.omniglot.path
        there["METATRAIN_OMNIGLOT_DIR"] = dir.appendingPathComponent("no-data-here").path
        let (c, endpoint) = try coordinator(["--config", config.path, "--eval-tasks", "4"], dir: dir, environment: here)
        let w = try Cluster.Child(["worker", "--connect", endpoint, "--name", "nodata"] + Cluster.fastHeartbeat, directory: dir,
                                  label: "nodata", environment: there)
        #expect(w.wait(seconds: 120) == 4, "\(w.log)")
        #expect(w.log.contains("cannot build the job"), "\(w.log)")
        kill(c.process.processIdentifier, SIGTERM)
        c.wait(seconds: 30)
    }

    static let omniglot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("../shared/datasets/omniglot").standardizedFileURL
}
