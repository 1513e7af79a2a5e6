import Foundation
import Testing
import MetaRuntime
import MetaTransport
import CZeroMQ

/// Real processes, real sockets: coordinator and workers are `metatrain` processes talking
/// ZeroMQ over 127.0.0.1. The job is the real `sine-maml` MAML preset, shortened; every run's
/// final parameters are compared bit for bit with the same run trained in one process. The
/// fault tests also run `sine-es-maml`, whose iterations are rounds of fitnesses (scalars per
/// perturbation pair) instead of meta-gradients, and a small `navigation-maml-trpo`, whose
/// iterations are the many rounds of a TRPO step (``trpo``).
@Suite(.serialized) struct DistributedTrainingTests {
    static let job = job("sine-maml")
    static let longJob = longJob("sine-maml")
    static let presets = ["sine-maml", "sine-es-maml", trpo]

    /// `navigation-maml-trpo` with horizon 10, 4 episodes per task, a 2-16-16-2 policy and a
    /// meta-batch of 12, as a configuration file. Twelve tasks are three reduction blocks, so
    /// every round has a shard for each of up to three workers: a fault injected into one
    /// worker fires whichever worker is fastest (with one block, the fastest got every shard).
    static let trpo = "navigation-maml-trpo-small"
    static let trpoFile: String = {
        let url = Cluster.temporaryDirectory("trpo-config").appendingPathComponent("\(trpo).yaml")
        try! ("preset: navigation-maml-trpo\ntasks: {horizon: 10, episodes: 4}\nmodel: {hidden: [16, 16]}\nmeta_batch: 12\n"
              + "validation: {interval: 1000, tasks: 2}\n").write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }()

    static func source(_ preset: String) -> [String] { preset == trpo ? ["--config", trpoFile] : ["--preset", preset] }
    static func job(_ preset: String) -> [String] { source(preset) + ["--iterations", "60", "--eval-tasks", "4"] }
    static func longJob(_ preset: String) -> [String] { source(preset) + ["--iterations", "400", "--eval-tasks", "4"] }

    @Test func finalParametersAreBitIdenticalForZeroToFourWorkers() throws {
        let reference = try Cluster.reference(Self.job)
        for workers in 1...4 {
            let dir = Cluster.temporaryDirectory("workers-\(workers)")
            defer { try? FileManager.default.removeItem(at: dir) }
            let run = try Cluster.run(["train"] + Self.job + ["--workers", "\(workers)", "--run-dir", dir.path],
                                      directory: dir, label: "train")
            #expect(run.status == 0, "\(run.log)")
            #expect(try Cluster.finalParameters(dir) == reference, "\(workers) workers")
        }
    }

    /// Starts a coordinator for `job` and returns it with its endpoint.
    func coordinator(_ job: [String], dir: URL, bind: String = "tcp://127.0.0.1:*", extra: [String] = [],
                     label: String = "coordinator") throws -> (Cluster.Child, String) {
        try? FileManager.default.removeItem(at: dir.appendingPathComponent("coordinator.endpoint"))
        let c = try Cluster.Child(["coordinator"] + job + ["--bind", bind, "--run-dir", dir.path] + Cluster.fastHeartbeat + extra,
                                  directory: dir, label: label)
        let endpoint = try #require(Cluster.endpoint(in: dir), "no endpoint: \(c.log)")
        return (c, endpoint)
    }

    func worker(_ endpoint: String, dir: URL, name: String, extra: [String] = []) throws -> Cluster.Child {
        try Cluster.Child(["worker", "--connect", endpoint, "--name", name] + Cluster.fastHeartbeat + extra, directory: dir, label: name)
    }

    @Test(arguments: presets)
    func aWorkerKilledMidIterationHasItsShardReassignedAndTheResultIsUnchanged(_ preset: String) throws {
        let job = Self.job(preset)
        let reference = try Cluster.reference(job)
        let dir = Cluster.temporaryDirectory("kill-\(preset)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (c, endpoint) = try coordinator(job, dir: dir, extra: ["--min-workers", "2"])
        let doomed = try worker(endpoint, dir: dir, name: "doomed", extra: ["--fault-kill-iteration", "20"])
        let survivor = try worker(endpoint, dir: dir, name: "survivor")
        #expect(c.wait() == 0, "\(c.log)")
        #expect(doomed.wait(seconds: 5) == SIGKILL || doomed.process.terminationReason == .uncaughtSignal)
        survivor.wait(seconds: 10)
        #expect(c.log.contains("shards reassigned") && !c.log.contains("shards reassigned 0,"), "\(c.log)")
        #expect(try Cluster.finalParameters(dir) == reference)
    }

    @Test(arguments: presets)
    func aHungWorkerIsTimedOutAndANonFiniteResultIsRecomputedElsewhere(_ preset: String) throws {
        let job = Self.job(preset)
        let reference = try Cluster.reference(job)
        let dir = Cluster.temporaryDirectory("hang-\(preset)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (c, endpoint) = try coordinator(job, dir: dir, extra: ["--min-workers", "3"])
        let hung = try worker(endpoint, dir: dir, name: "hung", extra: ["--fault-hang-iteration", "10"])
        let faulty = try worker(endpoint, dir: dir, name: "faulty", extra: ["--fault-nan-iteration", "30"])
        let healthy = try worker(endpoint, dir: dir, name: "healthy")
        #expect(c.wait() == 0, "\(c.log)")
        hung.kill9()
        faulty.wait(seconds: 10)
        healthy.wait(seconds: 10)
        #expect(c.log.contains("lost") || c.log.contains("silent"), "\(c.log)")
        #expect(c.log.contains("results rejected") && !c.log.contains("results rejected 0,"), "\(c.log)")
        #expect(try Cluster.finalParameters(dir) == reference)
    }

    @Test(arguments: presets)
    func aKilledCoordinatorResumesFromItsCheckpointAndWorkersReconnectByThemselves(_ preset: String) throws {
        let longJob = Self.longJob(preset)
        let reference = try Cluster.reference(longJob)
        let dir = Cluster.temporaryDirectory("resume-\(preset)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bind = "tcp://127.0.0.1:\(Cluster.freePort())"
        let (first, endpoint) = try coordinator(longJob, dir: dir, bind: bind, extra: ["--checkpoint-every", "50", "--min-workers", "2"],
                                                label: "first")
        let a = try worker(endpoint, dir: dir, name: "a"), b = try worker(endpoint, dir: dir, name: "b")
        #expect(Cluster.waitFor(seconds: 60) {
            FileManager.default.fileExists(atPath: dir.appendingPathComponent("iteration-100.ckpt").path)
        }, "no checkpoint: \(first.log)")
        first.kill9()
        let (second, _) = try coordinator(longJob, dir: dir, bind: bind, extra: ["--checkpoint-every", "50", "--resume"],
                                          label: "second")
        #expect(second.wait() == 0, "\(second.log)")
        #expect(second.log.contains("resuming from iteration-"), "\(second.log)")
        a.wait(seconds: 10); b.wait(seconds: 10)
        #expect(try Cluster.finalParameters(dir) == reference)
    }

    @Test func aLateWorkerJoinsAndTheResultIsUnchanged() throws {
        let reference = try Cluster.reference(Self.longJob)
        let dir = Cluster.temporaryDirectory("late")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (c, endpoint) = try coordinator(Self.longJob, dir: dir)
        let early = try worker(endpoint, dir: dir, name: "early")
        #expect(Cluster.waitFor(seconds: 60) { early.log.contains("job ") })
        let late = try worker(endpoint, dir: dir, name: "late")
        #expect(c.wait() == 0, "\(c.log)")
        early.wait(seconds: 10); late.wait(seconds: 10)
        let computed = late.log.components(separatedBy: "shards computed").first?.split(separator: "(").last.map(String.init) ?? ""
        #expect(!late.log.contains("(0 shards computed)"), "late worker: \(late.log) \(computed)")
        #expect(try Cluster.finalParameters(dir) == reference)
    }

    @Test func aWorkerOfAnotherProtocolVersionIsRejectedAndBothSidesSayWhy() throws {
        let dir = Cluster.temporaryDirectory("version")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (c, endpoint) = try coordinator(Self.job, dir: dir)
        defer { c.kill9() }
        let context = ZMQContext()
        let dealer = try ZMQSocket(context: context, kind: .dealer)
        try dealer.connect(endpoint)
        try dealer.send([WireCodec.encode(.hello(HelloMessage(protocolVersion: 99, buildID: "old", workerName: "old-worker", threads: 1)))])
        var answer: Message?
        _ = Cluster.waitFor(seconds: 10) {
            if ZMQSocket.poll([dealer], timeoutMilliseconds: 50)[0], let frames = try? dealer.receive(), frames.count == 1 {
                answer = try? WireCodec.decode(frames[0], maxBytes: 1 << 20)
            }
            return answer != nil
        }
        guard case .reject(let r) = answer else { Issue.record("expected a reject, got \(String(describing: answer))"); return }
        #expect(r.reason == .protocolVersion)
        #expect(r.text.contains("99") && r.text.contains("upgrade"), "\(r.text)")
        #expect(Cluster.waitFor(seconds: 5) { c.log.contains("protocol version") }, "\(c.log)")

        // A worker of the previous protocol: its frames carry version 2 in the header. The
        // reject names both versions and says to upgrade.
        var old = WireCodec.encode(.hello(HelloMessage(protocolVersion: 2, buildID: "old", workerName: "v2-worker", threads: 1)))
        old[4] = 2
        let crc = CRC32.checksum(Array(old[0..<(old.count - 4)]))
        for i in 0..<4 { old[old.count - 4 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        let second = try ZMQSocket(context: context, kind: .dealer)
        try second.connect(endpoint)
        try second.send([old])
        var reply: Message?
        _ = Cluster.waitFor(seconds: 10) {
            if ZMQSocket.poll([second], timeoutMilliseconds: 50)[0], let frames = try? second.receive(), frames.count == 1 {
                reply = try? WireCodec.decode(frames[0], maxBytes: 1 << 20)
            }
            return reply != nil
        }
        guard case .reject(let v2) = reply else { Issue.record("expected a reject, got \(String(describing: reply))"); return }
        #expect(v2.reason == .protocolVersion)
        #expect(v2.text.contains("protocol version 2") && v2.text.contains("speaks \(WireCodec.protocolVersion)")
                && v2.text.contains("upgrade"), "\(v2.text)")
    }

    @Test func curveAdmitsAListedWorkerAndAnUnlistedOneNeverReceivesTheJob() throws {
        let dir = Cluster.temporaryDirectory("curve")
        defer { try? FileManager.default.removeItem(at: dir) }
        let keys = dir.appendingPathComponent("keys"), allow = dir.appendingPathComponent("allow")
        for name in ["coordinator", "good", "bad"] {
            #expect(try Cluster.run(["keys", "generate", "--out", keys.path, "--name", name], directory: dir, label: "keys-\(name)").status == 0)
        }
        try FileManager.default.createDirectory(at: allow, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: keys.appendingPathComponent("good.pub"), to: allow.appendingPathComponent("good.pub"))
        let (c, endpoint) = try coordinator(Self.job, dir: dir, extra: [
            "--curve-secret", keys.appendingPathComponent("coordinator.key").path, "--allow", allow.path])
        let curve = { (name: String) in ["--curve-secret", keys.appendingPathComponent("\(name).key").path,
                                         "--server-key", keys.appendingPathComponent("coordinator.pub").path] }
        let bad = try worker(endpoint, dir: dir, name: "bad", extra: curve("bad"))
        let plain = try worker(endpoint, dir: dir, name: "plain")
        usleep(2_500_000)
        #expect(!bad.log.contains("job "), "\(bad.log)")
        #expect(!plain.log.contains("job "), "\(plain.log)")
        let metrics = (try? String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8)) ?? ""
        #expect(!metrics.contains("\"kind\":\"train\""), "training progressed without an admitted worker")
        let good = try worker(endpoint, dir: dir, name: "good", extra: curve("good"))
        #expect(c.wait() == 0, "\(c.log)")
        good.wait(seconds: 10)
        bad.kill9(); plain.kill9()
        #expect(good.log.contains("job "))
        #expect(!bad.log.contains("job "))
        #expect(try Cluster.finalParameters(dir) == Cluster.reference(Self.job))
    }

    @Test func sigtermWritesACheckpointAndResumingGivesTheUninterruptedResult() throws {
        let job = ["--preset", "sine-maml", "--iterations", "3000", "--eval-tasks", "4"]
        let reference = try Cluster.reference(job)
        let dir = Cluster.temporaryDirectory("sigterm")
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try Cluster.Child(["train"] + job + ["--workers", "2", "--run-dir", dir.path] + Cluster.fastHeartbeat,
                                      directory: dir, label: "first")
        #expect(Cluster.waitFor(seconds: 60) {
            ((try? String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8)) ?? "").contains("\"kind\":\"train\"")
        }, "\(first.log)")
        kill(first.process.processIdentifier, SIGTERM)
        #expect(first.wait(seconds: 60) == 143, "\(first.log)")  // 128 + SIGTERM
        #expect(first.log.contains("stopped by a signal at iteration"), "\(first.log)")
        let second = try Cluster.run(["train"] + job + ["--workers", "1", "--run-dir", dir.path, "--resume"] + Cluster.fastHeartbeat,
                                     directory: dir, label: "second")
        #expect(second.status == 0, "\(second.log)")
        #expect(second.log.contains("resuming from iteration-"), "\(second.log)")
        #expect(try Cluster.finalParameters(dir) == reference)
    }

    /// The child processes of `parent` (from /proc: the fourth field of `stat` is the parent's pid).
    static func children(of parent: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { name -> pid_t? in
            guard let pid = pid_t(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == parent ? pid : nil
        }
    }

    @Test func trainingStopsWithOneLineWhenEveryLocalWorkerHasDied() throws {
        let dir = Cluster.temporaryDirectory("workers-died")
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = try Cluster.Child(["train", "--preset", "sine-maml", "--iterations", "1000000", "--eval-tasks", "4",
                                       "--workers", "2", "--run-dir", dir.path] + Cluster.fastHeartbeat, directory: dir, label: "train")
        #expect(Cluster.waitFor(seconds: 60) {
            ((try? String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8)) ?? "").contains("\"kind\":\"train\"")
        }, "\(train.log)")
        let workers = Self.children(of: train.process.processIdentifier)
        #expect(workers.count == 2, "the local workers: \(workers)")
        for pid in workers { kill(pid, SIGKILL) }
        let status = train.wait(seconds: 60)
        #expect(train.process.terminationReason == .exit && status != 0, "the run must end by itself, failing: \(train.log)")
        #expect(train.log.contains("every local worker process has exited (local-1 killed by signal 9, local-2 killed by signal 9)"),
                "\(train.log)")
    }

    @Test func boundedStalenessTrainsAndLowersTheMetaLoss() throws {
        let dir = Cluster.temporaryDirectory("staleness")
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try Cluster.run(["train", "--preset", "sine-maml", "--iterations", "1500", "--eval-tasks", "4", "--workers", "2",
                                   "--staleness", "2", "--run-dir", dir.path], directory: dir, label: "train")
        #expect(run.status == 0, "\(run.log)")
        let lines = try String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        let losses = lines.compactMap { line -> Double? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["kind"] as? String == "train" else { return nil }
            return object["meta_loss"] as? Double
        }
        #expect(losses.count >= 2)
        #expect(losses.last! < 0.5 * losses.first!, "meta-loss \(losses)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("final.ckpt").path))
    }
}
