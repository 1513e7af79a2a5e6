import Foundation
import Testing
import MetaTestKit
import MetaRuntime
import MetaTransport
import CZeroMQ

/// A peer that speaks the wire protocol from this test process over a real DEALER socket.
final class WireClient {
    let context = ZMQContext()
    let socket: ZMQSocket

    init(_ endpoint: String, sendHighWaterMark: Int32 = 1000) throws {
        socket = try ZMQSocket(context: context, kind: .dealer)
        try socket.set(ZMQ_SNDHWM, sendHighWaterMark)
        try socket.set(ZMQ_LINGER, 0)
        try socket.connect(endpoint)
    }

    func send(_ m: Message) throws { try socket.send(WireCodec.parts(of: WireCodec.encode(m)), dontWait: false) }

    /// The next message within `seconds`, decoded.
    func receive(seconds: Double) -> Message? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            _ = ZMQSocket.poll([socket], timeoutMilliseconds: 50)
            var assembler = MessageAssembler(maxBytes: 64 << 20)
            if (try? socket.receive(eachPart: { assembler.add($0) })) == true,
               let frame = try? assembler.finish().get(), let m = try? WireCodec.decode(frame, maxBytes: 64 << 20) {
                return m
            }
        }
        return nil
    }

    /// Hello, then ready once the job arrives; returns the job.
    func join(name: String) throws -> JobMessage? {
        try send(.hello(HelloMessage(identity: BuildIdentity(buildID: "hostile"), workerName: name, threads: 1)))
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if case .job(let job)? = receive(seconds: 1) {
                try send(.ready(ReadyMessage(jobHash: job.jobHash)))
                return job
            }
        }
        return nil
    }
}

/// Resident memory of a process, from /proc.
enum ProcessMemory {
    static func kilobytes(_ pid: Int32, _ field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return 0 }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
    }
    static func rss(_ pid: Int32) -> Int { kilobytes(pid, "VmRSS") * 1024 }
    static func peak(_ pid: Int32) -> Int { kilobytes(pid, "VmHWM") * 1024 }
}

/// Hostile peers against a real coordinator process: each scenario of the runtime's threat
/// table, with the final parameters compared bit for bit with the one-process run.
@Suite(.serialized) struct HostilePeerTests {
    static let job = ["--preset", "sine-maml", "--iterations", "200", "--eval-tasks", "4"]

    func coordinator(_ job: [String], dir: URL, extra: [String]) throws -> (Cluster.Child, String) {
        let c = try Cluster.Child(["coordinator"] + job + ["--bind", "tcp://127.0.0.1:*", "--run-dir", dir.path] + Cluster.fastHeartbeat
                                  + extra, directory: dir, label: "coordinator")
        let endpoint = try #require(Cluster.endpoint(in: dir), "no endpoint: \(c.log)")
        return (c, endpoint)
    }

    @Test func aPeerThatTakesAShardAndOnlySendsHeartbeatsDoesNotStallTheRun() throws {
        let reference = try Cluster.reference(Self.job)
        let dir = Cluster.temporaryDirectory("hostile-hang")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (c, endpoint) = try coordinator(Self.job, dir: dir, extra: ["--min-workers", "2", "--allow-mixed-builds",
                                                                        "--shard-deadline-floor", "1"])
        let hostile = try WireClient(endpoint)
        #expect(try hostile.join(name: "hostile") != nil)
        let honest = try Cluster.Child(["worker", "--connect", endpoint, "--name", "honest"] + Cluster.fastHeartbeat,
                                       directory: dir, label: "honest")
        // Take whatever comes, answer nothing, keep saying it is alive.
        var assignments = 0
        let stop = Date().addingTimeInterval(120)
        while c.process.isRunning && Date() < stop {
            if case .assignment? = hostile.receive(seconds: 0.2) { assignments += 1 }
            try? hostile.send(.heartbeat(HeartbeatMessage(sentAt: 1, iteration: 0)))
        }
        #expect(c.wait(seconds: 5) == 0, "\(c.log)")
        honest.wait(seconds: 10)
        #expect(assignments >= 1)
        #expect(c.log.contains("past its deadline"), "\(c.log)")
        #expect(try Cluster.finalParameters(dir) == reference)
    }

    @Test func hellosWithHugeBuildIdsAndAMessageOfTwoThousandPartsLeaveTheCoordinatorsMemoryAsItWas() throws {
        // Long enough to be training through the whole flood; stopped with SIGTERM after it.
        let job = ["--preset", "sine-maml", "--iterations", "10000000", "--eval-tasks", "4"]
        let dir = Cluster.temporaryDirectory("hostile-flood")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (c, endpoint) = try coordinator(job, dir: dir, extra: ["--min-workers", "1"])
        let honest = try Cluster.Child(["worker", "--connect", endpoint, "--name", "honest"] + Cluster.fastHeartbeat,
                                       directory: dir, label: "honest")
        let pid = c.process.processIdentifier
        #expect(Cluster.waitFor(seconds: 30) { FileManager.default.fileExists(atPath: dir.appendingPathComponent("metrics.jsonl").path) })
        Thread.sleep(forTimeInterval: 1)
        let before = ProcessMemory.rss(pid)

        // 2,000 hellos, each with a distinct 150 kB build id, over 20 connections.
        for round in 0..<20 {
            let flood = try WireClient(endpoint, sendHighWaterMark: 200)
            for i in 0..<100 {
                let id = String(repeating: "b", count: 150_000) + "\(round)-\(i)"
                try flood.socket.send(WireCodec.parts(of: HostileFrames.hello(buildID: id)), dontWait: false)
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        // One message of 2,000 parts of 1 MB.
        let parts = try WireClient(endpoint, sendHighWaterMark: 10)
        let megabyte = [UInt8](repeating: 0x55, count: 1 << 20)
        _ = try? parts.socket.send(Array(repeating: megabyte, count: 2000), dontWait: true)
        Thread.sleep(forTimeInterval: 3)
        let peak = ProcessMemory.peak(pid)
        let after = ProcessMemory.rss(pid)
        let running = c.process.isRunning
        kill(c.process.processIdentifier, SIGTERM)
        #expect(c.wait(seconds: 60) == 143, "\(c.log)")
        honest.wait(seconds: 10)
        #expect(running)
        #expect(before > 0)
        #expect(peak - before < 50 << 20, "peak \(peak >> 20) MiB, before \(before >> 20) MiB")
        #expect(after - before < 10 << 20, "after \(after >> 20) MiB, before \(before >> 20) MiB")
        print("flood: coordinator RSS before \(before >> 10) KiB, peak \(peak >> 10) KiB, after \(after >> 10) KiB")
    }

    @Test func anUpdateMadeNonFiniteByOneWorkersResultsIsRolledBackAndThatWorkerDropped() throws {
        let dir = Cluster.temporaryDirectory("overflow")
        defer { try? FileManager.default.removeItem(at: dir) }
        // 25 blocks of 4 tasks: each of two workers gets several, so the faulty worker's 3e38
        // block sums overflow the sum (one alone would not: Adam turns a huge gradient into
        // a zero step).
        let config = dir.appendingPathComponent("job.yaml")
        try "preset: sine-maml\niterations: 40\nmeta_batch: 100\n".write(to: config, atomically: true, encoding: .utf8)
        let job = ["--config", config.path, "--eval-tasks", "4"]
        let reference = try Cluster.reference(job)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("run"), withIntermediateDirectories: true)
        let (c, endpoint) = try coordinator(job, dir: dir.appendingPathComponent("run"), extra: ["--min-workers", "2"])
        let workers = try (1...2).map { i in
            try Cluster.Child(["worker", "--connect", endpoint, "--name", "w\(i)"] + Cluster.fastHeartbeat
                              + (i == 2 ? ["--fault-huge-iteration", "20"] : []), directory: dir, label: "w\(i)")
        }
        #expect(c.wait(seconds: 120) == 0, "\(c.log)")
        let statuses = workers.map { $0.wait(seconds: 10) }
        #expect(statuses == [0, 3], "\(workers.map(\.log))")
        #expect(c.log.contains("rolled back"), "\(c.log)")
        #expect(c.log.contains("w2 sent block sums that differ"), "\(c.log)")
        #expect(try Cluster.finalParameters(dir.appendingPathComponent("run")) == reference)
    }

    @Test func plainTCPOnANonLoopbackAddressNeedsInsecure() throws {
        let dir = Cluster.temporaryDirectory("insecure")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = Cluster.freePort()
        let refused = try Cluster.run(["coordinator"] + Self.job + ["--bind", "tcp://0.0.0.0:\(port)", "--run-dir", dir.path],
                                      directory: dir, label: "refused", seconds: 30)
        #expect(refused.status == 1, "\(refused.log)")
        #expect(refused.log.contains("--insecure") && refused.log.contains("--curve-secret"), "\(refused.log)")
        #expect(refused.log.split(separator: "\n").filter { $0.contains("Error") }.count <= 1)

        // With --insecure (or METATRAIN_INSECURE=1) it serves, and a worker trains through it.
        var environment = ProcessInfo.processInfo.environment
        environment["METATRAIN_INSECURE"] = "1"
        let c = try Cluster.Child(["coordinator"] + Self.job + ["--bind", "tcp://0.0.0.0:\(port)", "--run-dir", dir.path],
                                  directory: dir, label: "insecure", environment: environment)
        let w = try Cluster.Child(["worker", "--connect", "tcp://127.0.0.1:\(port)", "--name", "w"], directory: dir, label: "w")
        #expect(c.wait(seconds: 120) == 0, "\(c.log)")
        #expect(w.wait(seconds: 10) == 0, "\(w.log)")
        #expect(c.log.contains("warning") && c.log.contains("--insecure"))
    }

    @Test func aLocalClusterTalksOverAPrivateSocketThatOtherUsersCannotReach() throws {
        let dir = Cluster.temporaryDirectory("private")
        defer { try? FileManager.default.removeItem(at: dir) }
        let job = ["--preset", "sine-maml", "--iterations", "3000", "--eval-tasks", "4"]
        let t = try Cluster.Child(["train"] + job + ["--workers", "2", "--run-dir", dir.path], directory: dir, label: "train")
        let endpoint = try #require(Cluster.endpoint(in: dir))
        #expect(endpoint.hasPrefix("ipc://"), "\(endpoint)")
        let socketPath = String(endpoint.dropFirst("ipc://".count))
        let folder = (socketPath as NSString).deletingLastPathComponent
        var info = stat()
        #expect(stat(folder, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
        #expect(info.st_uid == getuid())
        #expect(t.wait(seconds: 120) == 0, "\(t.log)")
        #expect(!FileManager.default.fileExists(atPath: folder), "the private folder is removed at the end")
    }
}

/// Long work of the coordinator's own does not look like a silent coordinator.
@Suite(.serialized) struct CoordinatorServiceTests {
    @Test func aValidationLongerThanTheHeartbeatTimeoutKeepsTheWorkersConnected() throws {
        let dir = Cluster.temporaryDirectory("long-validation")
        defer { try? FileManager.default.removeItem(at: dir) }
        // 5,000 validation tasks take a few seconds here, well past the 1.5 s timeout.
        let config = dir.appendingPathComponent("job.yaml")
        try "preset: sine-maml\niterations: 100\nvalidation: {interval: 50, tasks: 5000}\n".write(to: config, atomically: true, encoding: .utf8)
        let reference = try Cluster.reference(["--config", config.path, "--eval-tasks", "4"])
        let run = try Cluster.run(["train", "--config", config.path, "--eval-tasks", "4", "--workers", "2", "--run-dir",
                                   dir.appendingPathComponent("run").path] + Cluster.fastHeartbeat, directory: dir, label: "train")
        #expect(run.status == 0, "\(run.log)")
        #expect(run.log.contains("validation at 50"), "\(run.log)")
        #expect(!run.log.contains("reconnecting"), "a worker lost the coordinator during validation: \(run.log)")
        #expect(!run.log.contains("did not run for"), "\(run.log)")
        #expect(try Cluster.finalParameters(dir.appendingPathComponent("run")) == reference)
    }
}

/// Secret key files: private from the moment they exist, refused when others can read them.
@Suite struct KeyFileProcessTests {
    @Test func aSecretKeyFileOthersCanReadIsRefusedWithOneLine() throws {
        let dir = Cluster.temporaryDirectory("key-modes")
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["coordinator", "worker"] {
            let made = try Cluster.run(["keys", "generate", "--name", name, "--out", dir.path], directory: dir, label: "keys-\(name)")
            #expect(made.status == 0, "\(made.log)")
        }
        let secret = dir.appendingPathComponent("coordinator.key").path
        var info = stat()
        #expect(stat(secret, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let serve = ["coordinator", "--preset", "sine-maml", "--iterations", "5", "--eval-tasks", "4", "--bind", "tcp://127.0.0.1:*",
                     "--curve-secret", secret, "--allow", dir.appendingPathComponent("worker.pub").path, "--run-dir",
                     dir.appendingPathComponent("run").path]
        chmod(secret, 0o644)
        let refused = try Cluster.run(serve, directory: dir, label: "refused", seconds: 30)
        #expect(refused.status == 1, "\(refused.log)")
        #expect(refused.log.contains("chmod 600"), "\(refused.log)")
        #expect(refused.log.split(separator: "\n").count <= 2, "\(refused.log)")
        chmod(secret, 0o600)
        var environment = ProcessInfo.processInfo.environment
        environment["METATRAIN_CURVE_SECRET"] = dir.appendingPathComponent("worker.key").path
        environment["METATRAIN_SERVER_KEY"] = dir.appendingPathComponent("coordinator.pub").path
        let c = try Cluster.Child(serve + ["--overwrite"], directory: dir, label: "coordinator")
        let endpoint = try #require(Cluster.endpoint(in: dir.appendingPathComponent("run")), "\(c.log)")
        let w = try Cluster.Child(["worker", "--connect", endpoint], directory: dir, label: "worker", environment: environment)
        #expect(c.wait(seconds: 60) == 0, "\(c.log)")
        #expect(w.wait(seconds: 10) == 0, "CURVE keys through METATRAIN_* variables: \(w.log)")
    }
}
