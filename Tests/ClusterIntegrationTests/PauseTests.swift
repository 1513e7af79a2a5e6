import Foundation
import Testing

/// Whole-cluster pauses, as a VM pause or a laptop sleep makes them: every process stopped
/// with SIGSTOP for longer than the heartbeat timeout, then continued with SIGCONT (all at
/// once, or the workers or the coordinator first). Part of the serialized suite, so that no
/// other cluster competes for the CPU while the processes are stopped and continued.
extension DistributedTrainingTests {
    static let pausedJob = ["--preset", "sine-maml", "--iterations", "1000", "--eval-tasks", "4"]

    /// The train records (one per 100 iterations) a run has written so far.
    static func trainRecords(_ dir: URL) -> Int {
        let text = (try? String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8)) ?? ""
        return text.components(separatedBy: "\"kind\":\"train\"").count - 1
    }

    @Test func aClusterPausedLongerThanTheHeartbeatTimeoutResumesAndFinishes() throws {
        let reference = try Cluster.reference(Self.pausedJob)
        let dir = Cluster.temporaryDirectory("pause")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (c, endpoint) = try coordinator(Self.pausedJob, dir: dir, extra: ["--min-workers", "2"])
        let workers = [try worker(endpoint, dir: dir, name: "w1"), try worker(endpoint, dir: dir, name: "w2")]
        let everyone = [c] + workers
        func signal(_ children: [Cluster.Child], _ sig: Int32) {
            for child in children where child.process.isRunning { kill(child.process.processIdentifier, sig) }
        }
        defer {
            signal(everyone, SIGCONT)
            for child in everyone { child.kill9() }
        }
        func logs() -> String { everyone.map { "\($0.output.lastPathComponent):\n\($0.log)" }.joined(separator: "\n") }

        // Longer than the heartbeat timeout (Cluster.fastHeartbeat: 1.5 s), and than a worker's
        // first wait for an answer to its hello.
        let pause: UInt32 = 3_000_000
        let wakeOrders: [(String, [[Cluster.Child]])] = [
            ("all at once", [everyone]),
            ("the workers first", [workers, [c]]),
            ("the coordinator first", [[c], workers]),
        ]
        for (round, (order, groups)) in wakeOrders.enumerated() {
            // Training progresses (the first time: has started; later: after the last pause).
            let before = Self.trainRecords(dir)
            let progressed = Cluster.waitFor(seconds: 30) { Self.trainRecords(dir) > before }
            guard progressed, c.process.isRunning else {
                let after = round == 0 ? "since the start" : "after waking \(wakeOrders[round - 1].0)"
                Issue.record("no training progress \(after) (waited for 30 s):\n\(logs())")
                return
            }
            signal(everyone, SIGSTOP)
            for group in groups {
                usleep(pause)
                signal(group, SIGCONT)
            }
        }

        #expect(c.wait(seconds: 60) == 0, "the run did not finish after the pauses:\n\(logs())")
        for w in workers { w.wait(seconds: 10) }
        #expect(try Cluster.finalParameters(dir) == reference, "\(logs())")
    }
}
