import Foundation
import Testing
import MetaSearch
import MetaTestKit

/// `metatrain search` on worker processes: the history (every record but its wall time) is the
/// one of the search in one process, for 1 and 2 local workers, through a coordinator killed
/// with SIGKILL and resumed (its workers reconnect by themselves), and when a worker dies in the
/// middle of a candidate (the candidate is trained again by another worker).
@Suite(.serialized) struct SearchClusterTests {
    /// SearchProcessTests' tiny search, 6 candidates per method in batches of 2 (`in_flight: 2`),
    /// so a round has 4 candidates and evolution's children share a population.
    static let yaml = SearchProcessTests.common.replacingOccurrences(of: "candidates: 4", with: "candidates: 6") + """
        evolution: { population: 2, sample: 2, in_flight: 2 }
        space:
          blocks: [1, 3]
          filters: [4, 6]
          inner_steps: [1, 2]

        """
    static let fastHeartbeat = ["--heartbeat-interval", "0.2", "--heartbeat-timeout", "1.5"]

    /// A started `metatrain` process whose output goes to `label.log` in `directory`.
    final class Child: @unchecked Sendable {
        let process = Process()
        let output: URL

        init(_ arguments: [String], directory: URL, label: String, environment: [String: String] = [:]) throws {
            output = directory.appendingPathComponent("\(label).log")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            process.executableURL = BuiltProducts.metatrain
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("METATRAIN_") }
                .merging(environment) { $1 }
            let handle = try FileHandle(forWritingTo: output)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        }

        var log: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

        /// Waits for the exit (killing the process after `seconds`): its status.
        @discardableResult
        func wait(seconds: Double = 240) -> Int32 {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            return process.terminationStatus
        }

        deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    }

    /// The search's records trained in one process (the reference), computed once.
    static let reference: Result<[CandidateRecord], Error> = Result {
        let root = BuiltProducts.temporaryDirectory("search-reference")
        defer { try? FileManager.default.removeItem(at: root) }
        let config = try configFile(in: root)
        let run = root.appendingPathComponent("run")
        let child = try Child(["search", "--config", config.path, "--run-dir", run.path], directory: root, label: "search")
        guard child.wait() == 0 else { throw FixtureError("the in-process search failed: \(child.log)") }
        return try SearchProcessTests.records(run)
    }

    static func configFile(in root: URL) throws -> URL {
        let url = root.appendingPathComponent("search.yaml")
        try yaml.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Whether `records` is the reference history (records compared but for wall times).
    static func expectReferenceHistory(_ records: [CandidateRecord], _ label: String) throws {
        let expected = try reference.get()
        #expect(expected.count == 12)
        #expect(records.count == expected.count, "\(label)")
        for (a, b) in zip(records, expected) { #expect(a.sameOutcome(as: b), "\(label): \(a) vs \(b)") }
    }

    @Test(arguments: [1, 2])
    func theSearchHistoryOnLocalWorkersIsTheOneOfTheSearchInOneProcess(workers: Int) throws {
        let root = BuiltProducts.temporaryDirectory("search-workers")
        defer { try? FileManager.default.removeItem(at: root) }
        let run = root.appendingPathComponent("run")
        let child = try Child(["search", "--config", try Self.configFile(in: root).path, "--run-dir", run.path, "--workers", "\(workers)"]
                              + Self.fastHeartbeat, directory: root, label: "search")
        #expect(child.wait() == 0, "\(child.log)")
        try Self.expectReferenceHistory(try SearchProcessTests.records(run), "\(workers) workers")
    }

    @Test func aKilledSearchCoordinatorResumesToTheSameHistoryAndItsWorkersReconnectByThemselves() throws {
        let root = BuiltProducts.temporaryDirectory("search-resume")
        defer { try? FileManager.default.removeItem(at: root) }
        let config = try Self.configFile(in: root), run = root.appendingPathComponent("run")
        let bind = "tcp://127.0.0.1:\(BuiltProducts.freePort())"
        let workers = try (1...2).map {
            try Child(["worker", "--connect", bind, "--name", "w\($0)"] + Self.fastHeartbeat, directory: root, label: "worker-\($0)")
        }
        let search = ["search", "--config", config.path, "--run-dir", run.path, "--bind", bind, "--min-workers", "2"] + Self.fastHeartbeat
        // SIGKILL once the sixth record reached candidates.jsonl, before it was checkpointed (mid-batch).
        let first = try Child(search + ["--fault-kill-candidate", "6"], directory: root, label: "first")
        first.wait()
        #expect(first.process.terminationReason == .uncaughtSignal && first.process.terminationStatus == SIGKILL, "\(first.log)")
        #expect(try SearchProcessTests.records(run).count == 6)
        #expect(workers.allSatisfy { $0.process.isRunning }, "the workers outlive their coordinator")
        let second = try Child(search + ["--resume"], directory: root, label: "second")
        #expect(second.wait() == 0, "\(second.log)")
        try Self.expectReferenceHistory(try SearchProcessTests.records(run), "killed and resumed")
        for w in workers { #expect(w.wait(seconds: 30) == 0, "\(w.log)") }
    }

    @Test func aWorkerKilledMidCandidateHasItsCandidateTrainedElsewhereAndTheHistoryIsUnchanged() throws {
        let root = BuiltProducts.temporaryDirectory("search-worker-killed")
        defer { try? FileManager.default.removeItem(at: root) }
        let config = try Self.configFile(in: root), run = root.appendingPathComponent("run")
        let bind = "tcp://127.0.0.1:\(BuiltProducts.freePort())"
        let search = try Child(["search", "--config", config.path, "--run-dir", run.path, "--bind", bind, "--min-workers", "2"]
                               + Self.fastHeartbeat, directory: root, label: "search")
        let healthy = try Child(["worker", "--connect", bind, "--name", "healthy"] + Self.fastHeartbeat, directory: root, label: "healthy")
        // Kills itself on receiving a candidate of the second batch (its round's iteration is 4).
        let doomed = try Child(["worker", "--connect", bind, "--name", "doomed", "--fault-kill-iteration", "1"] + Self.fastHeartbeat,
                               directory: root, label: "doomed")
        #expect(search.wait() == 0, "\(search.log)")
        doomed.wait(seconds: 10)
        #expect(doomed.process.terminationReason == .uncaughtSignal && doomed.process.terminationStatus == SIGKILL, "\(doomed.log)")
        try Self.expectReferenceHistory(try SearchProcessTests.records(run), "a worker killed")
        #expect(healthy.wait(seconds: 30) == 0, "\(healthy.log)")
    }

    /// Every local worker refuses its first candidate (the data set is missing where they run)
    /// and exits: the search ends with one line saying so, instead of waiting for workers that
    /// will never come. The search process itself does not read the data set.
    @Test func aSearchWhoseLocalWorkersAllExitStopsWithOneLineInsteadOfWaiting() throws {
        let root = BuiltProducts.temporaryDirectory("search-workers-fail")
        defer { try? FileManager.default.removeItem(at: root) }
        let url = root.appendingPathComponent("search.yaml")
        try Self.yaml.replacingOccurrences(of: "family: synthetic-images, ways: 3, shots: 1, queries: 1, size: 8",
                                           with: "family: omniglot, ways: 3, shots: 1, queries: 1")
            .write(to: url, atomically: true, encoding: .utf8)
        let run = root.appendingPathComponent("run")
        let missing = root.appendingPathComponent("no-omniglot-here").path
        let child = try Child(["search", "--config", url.path, "--run-dir", run.path, "--workers", "2"] + Self.fastHeartbeat,
                              directory: root, label: "search", environment: ["METATRAIN_OMNIGLOT_DIR": missing])
        let status = child.wait(seconds: 180)
        #expect(child.process.terminationReason == .exit && status != 0, "the search must end by itself, failing: \(child.log)")
        #expect(child.log.contains("every local worker process has exited (local-1 status"), "\(child.log)")
        #expect(child.log.contains("expected images_background.zip"), "the workers say why: \(child.log)")
        #expect(try SearchProcessTests.records(run).isEmpty)
    }

    /// `search --bind` with CURVE (`--curve-secret`, `--allow`): a worker whose key is listed
    /// trains every candidate and the history is the one of the search in one process; a worker
    /// with an unlisted key and a plain one never receive the job.
    @Test func aCurveSearchAdmitsOnlyListedWorkersAndGivesTheSameHistory() throws {
        let root = BuiltProducts.temporaryDirectory("search-curve")
        defer { try? FileManager.default.removeItem(at: root) }
        let keys = root.appendingPathComponent("keys"), allow = root.appendingPathComponent("allow")
        for name in ["coordinator", "good", "bad"] {
            #expect(try Child(["keys", "generate", "--out", keys.path, "--name", name], directory: root, label: "keys-\(name)").wait() == 0)
        }
        try FileManager.default.createDirectory(at: allow, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: keys.appendingPathComponent("good.pub"), to: allow.appendingPathComponent("good.pub"))
        let config = try Self.configFile(in: root), run = root.appendingPathComponent("run")
        let bind = "tcp://127.0.0.1:\(BuiltProducts.freePort())"
        let search = try Child(["search", "--config", config.path, "--run-dir", run.path, "--bind", bind,
                                "--curve-secret", keys.appendingPathComponent("coordinator.key").path, "--allow", allow.path]
                               + Self.fastHeartbeat, directory: root, label: "search")
        let curve = { (name: String) in ["--curve-secret", keys.appendingPathComponent("\(name).key").path,
                                         "--server-key", keys.appendingPathComponent("coordinator.pub").path] }
        let bad = try Child(["worker", "--connect", bind, "--name", "bad"] + curve("bad") + Self.fastHeartbeat, directory: root, label: "bad")
        let plain = try Child(["worker", "--connect", bind, "--name", "plain"] + Self.fastHeartbeat, directory: root, label: "plain")
        let good = try Child(["worker", "--connect", bind, "--name", "good"] + curve("good") + Self.fastHeartbeat, directory: root, label: "good")
        #expect(search.wait() == 0, "\(search.log)")
        #expect(good.wait(seconds: 30) == 0, "\(good.log)")
        kill(bad.process.processIdentifier, SIGKILL); kill(plain.process.processIdentifier, SIGKILL)
        bad.wait(seconds: 10); plain.wait(seconds: 10)
        #expect(good.log.contains("job "), "\(good.log)")
        #expect(!bad.log.contains("job "), "\(bad.log)")
        #expect(!plain.log.contains("job "), "\(plain.log)")
        try Self.expectReferenceHistory(try SearchProcessTests.records(run), "CURVE")
    }

    /// Plain TCP on an address other machines can reach is refused in one line unless
    /// `--insecure`; the security options without `--bind` are a usage error.
    @Test func aSearchRefusesPlainTcpOnANonLoopbackAddressAndSecurityOptionsWithoutBind() throws {
        let root = BuiltProducts.temporaryDirectory("search-refuse")
        defer { try? FileManager.default.removeItem(at: root) }
        let config = try Self.configFile(in: root), run = root.appendingPathComponent("run")
        let open = try Child(["search", "--config", config.path, "--run-dir", run.path, "--bind", "tcp://0.0.0.0:\(BuiltProducts.freePort())"],
                             directory: root, label: "open")
        #expect(open.wait(seconds: 60) != 0)
        #expect(open.log.contains("refusing to serve plain TCP on tcp://0.0.0.0:"), "\(open.log)")
        let stray = try Child(["search", "--config", config.path, "--run-dir", run.path, "--insecure"], directory: root, label: "stray")
        #expect(stray.wait(seconds: 60) != 0)
        #expect(stray.log.contains("pass --bind too"), "\(stray.log)")
        #expect(((try? SearchProcessTests.records(run)) ?? []).isEmpty, "no candidate was trained")
    }
}
