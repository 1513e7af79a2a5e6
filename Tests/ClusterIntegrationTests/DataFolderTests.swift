import Foundation
import Testing
import MetaTestKit

/// The Omniglot folder is each process's own setting (`METATRAIN_OMNIGLOT_DIR`); a job and its
/// checkpoints name the data by content digest only. Real coordinator, worker and eval processes.
@Suite(.serialized, .enabled(if: FileManager.default.fileExists(atPath: WorkerExitStatusTests.omniglot.appendingPathComponent("images_background.zip").path),
                             "skipped: the Omniglot archives are not at ../shared/datasets/omniglot"))
struct DataFolderTests {
    static let official = "8745d3284205c70953ebeacd9061b7dfdadc5961afab7b71a1553c9aa5bcb1af"
    /// A short job: two iterations of four tasks, four test tasks.
    static let job = "preset: omniglot-5w1s-maml\niterations: 2\nmeta_batch: 4\nevaluation: {tasks: 4}\n"

    /// A new folder at `url` holding links to the official archives: the same data at another path.
    static func linkedData(at url: URL) throws -> URL {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for name in ["images_background.zip", "images_evaluation.zip"] {
            try FileManager.default.createSymbolicLink(at: url.appendingPathComponent(name),
                                                       withDestinationURL: WorkerExitStatusTests.omniglot.appendingPathComponent(name))
        }
        return url
    }

    /// A folder with the official archives except that two drawings of one character in
    /// images_evaluation.zip trade places: data that loads, with another content digest.
    static func swappedData(at url: URL) throws -> URL {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: url.appendingPathComponent("images_background.zip"),
                                                   withDestinationURL: WorkerExitStatusTests.omniglot.appendingPathComponent("images_background.zip"))
        let status = try ArchiveFixtures.writeSwapped(from: WorkerExitStatusTests.omniglot.appendingPathComponent("images_evaluation.zip"),
                                                      to: url.appendingPathComponent("images_evaluation.zip"))
        #expect(status == 0)
        return url
    }

    static func environment(data: URL) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["METATRAIN_OMNIGLOT_DIR"] = data.path
        return environment
    }

    static func writeJob(in dir: URL) throws -> URL {
        let config = dir.appendingPathComponent("job.yaml")
        try job.write(to: config, atomically: true, encoding: .utf8)
        return config
    }

    @Test func aWorkerWhoseArchivesAreAtAnotherPathJoinsTheCoordinatorsJob() throws {
        let dir = Cluster.temporaryDirectory("data-elsewhere")
        defer { try? FileManager.default.removeItem(at: dir) }
        let here = try Self.linkedData(at: dir.appendingPathComponent("coordinator-data"))
        let there = try Self.linkedData(at: dir.appendingPathComponent("worker-data"))
        let run = dir.appendingPathComponent("run")
        let c = try Cluster.Child(["coordinator", "--config", try Self.writeJob(in: dir).path, "--bind", "tcp://127.0.0.1:*", "--run-dir", run.path]
                                  + Cluster.fastHeartbeat, directory: dir, label: "coordinator", environment: Self.environment(data: here))
        let endpoint = try #require(Cluster.endpoint(in: run, seconds: 120), "no endpoint: \(c.log)")
        let w = try Cluster.Child(["worker", "--connect", endpoint, "--name", "elsewhere"] + Cluster.fastHeartbeat, directory: dir,
                                  label: "worker", environment: Self.environment(data: there))
        #expect(w.wait(seconds: 300) == 0, "\(w.log)")
        #expect(c.wait(seconds: 120) == 0, "\(c.log)")
        let config = try String(contentsOf: run.appendingPathComponent("config.yaml"), encoding: .utf8)
        #expect(config.contains("data_sha256: \"\(Self.official)\""), "\(config)")
        #expect(!config.contains(dir.path), "\(config)")
    }

    @Test func aWorkerWhoseDataHasAnotherDigestStopsNamingBoth() throws {
        let dir = Cluster.temporaryDirectory("data-other")
        defer { try? FileManager.default.removeItem(at: dir) }
        let here = try Self.linkedData(at: dir.appendingPathComponent("coordinator-data"))
        let other = try Self.swappedData(at: dir.appendingPathComponent("worker-data"))
        let run = dir.appendingPathComponent("run")
        let c = try Cluster.Child(["coordinator", "--config", try Self.writeJob(in: dir).path, "--bind", "tcp://127.0.0.1:*", "--run-dir", run.path]
                                  + Cluster.fastHeartbeat, directory: dir, label: "coordinator", environment: Self.environment(data: here))
        defer { kill(c.process.processIdentifier, SIGTERM); c.wait(seconds: 30) }
        let endpoint = try #require(Cluster.endpoint(in: run, seconds: 120), "no endpoint: \(c.log)")
        let w = try Cluster.Child(["worker", "--connect", endpoint, "--name", "other"] + Cluster.fastHeartbeat, directory: dir,
                                  label: "worker", environment: Self.environment(data: other))
        #expect(w.wait(seconds: 300) == 4, "\(w.log)")
        let line = try #require(w.log.split(separator: "\n").first { $0.contains("have content digest") }, "\(w.log)")
        #expect(line.contains("not \(Self.official)"), "\(line)")
        #expect(line.contains("METATRAIN_OMNIGLOT_DIR"), "\(line)")
    }

    @Test func aRunEvaluatesAndResumesWithTheDataMovedAndRefusesOtherData() throws {
        let dir = Cluster.temporaryDirectory("data-moved")
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try Self.linkedData(at: dir.appendingPathComponent("first"))
        let run = dir.appendingPathComponent("run")
        let train = try Cluster.Child(["train", "--config", try Self.writeJob(in: dir).path, "--workers", "0", "--run-dir", run.path],
                                      directory: dir, label: "train", environment: Self.environment(data: first))
        #expect(train.wait(seconds: 300) == 0, "\(train.log)")
        try FileManager.default.removeItem(at: first)

        let moved = try Self.linkedData(at: dir.appendingPathComponent("moved"))
        let eval = try Cluster.Child(["eval", "--run-dir", run.path, "--tasks", "4"], directory: dir, label: "eval",
                                     environment: Self.environment(data: moved))
        #expect(eval.wait(seconds: 300) == 0, "\(eval.log)")
        #expect(eval.log.contains("evaluating"), "\(eval.log)")

        let other = try Self.swappedData(at: dir.appendingPathComponent("other"))
        let refused = try Cluster.Child(["eval", "--run-dir", run.path, "--tasks", "4"], directory: dir, label: "refused",
                                        environment: Self.environment(data: other))
        #expect(refused.wait(seconds: 300) == 1, "\(refused.log)")
        let errors = refused.log.split(separator: "\n").filter { $0.hasPrefix("Error:") }
        #expect(errors.count == 1, "\(refused.log)")
        #expect(errors.first?.contains("\(other.path) have content digest") == true, "\(refused.log)")
        #expect(errors.first?.contains("not \(Self.official)") == true, "\(refused.log)")

        let resumed = try Cluster.Child(["train", "--config", dir.appendingPathComponent("job.yaml").path, "--iterations", "3", "--workers", "0",
                                         "--run-dir", run.path, "--resume"], directory: dir, label: "resumed",
                                        environment: Self.environment(data: moved))
        #expect(resumed.wait(seconds: 300) == 0, "\(resumed.log)")
        #expect(resumed.log.contains("resuming from final.ckpt at iteration 2"), "\(resumed.log)")

        let wrong = try Cluster.Child(["train", "--config", dir.appendingPathComponent("job.yaml").path, "--iterations", "4", "--workers", "0",
                                       "--run-dir", run.path, "--resume"], directory: dir, label: "wrong",
                                      environment: Self.environment(data: other))
        #expect(wrong.wait(seconds: 300) == 1, "\(wrong.log)")
        #expect(wrong.log.contains("was trained on data of content digest \(Self.official); this process's data has "), "\(wrong.log)")
    }
}
