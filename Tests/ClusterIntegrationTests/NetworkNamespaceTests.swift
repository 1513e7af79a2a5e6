import Foundation
import Testing
import Yams

/// The environment deploy/compose.yaml gives a service, so the namespace cluster runs the
/// same topology with the same settings as the containers.
enum ComposeEnvironment {
    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy/compose.yaml")

    static func of(_ service: String) throws -> [String: String] {
        let text = try String(contentsOf: file, encoding: .utf8)
        let node = try #require(try Yams.compose(yaml: text))
        let environment = try #require(node["services"]?[service]?["environment"]?.mapping, "no environment for \(service)")
        var out: [String: String] = [:]
        // Values as compose sees them with nothing set in its shell: `${NAME:-default}` is the
        // default, `${NAME}` is empty (and so unset for metatrain), `$$` is `$`; a key without a
        // value passes the shell's variable through, and there is none.
        for (key, value) in environment {
            guard let k = key.string, let v = value.string else { continue }
            let resolved = interpolated(v)
            if !resolved.isEmpty { out[k] = resolved }
        }
        return out
    }

    static func interpolated(_ value: String) -> String {
        var out = value.replacingOccurrences(of: "$$", with: "\u{0}")
        while let start = out.range(of: "${"), let end = out.range(of: "}", range: start.upperBound..<out.endIndex) {
            let inner = out[start.upperBound..<end.lowerBound]
            let replacement = inner.range(of: ":-").map { String(inner[$0.upperBound...]) } ?? ""
            out.replaceSubrange(start.lowerBound..<end.upperBound, with: replacement)
        }
        return out.replacingOccurrences(of: "\u{0}", with: "$")
    }
}

/// A coordinator "host" and two worker "hosts" in separate network namespaces joined by veth
/// pairs: real TCP over non-loopback interfaces. Needs root and `ip netns`; skipped otherwise.
enum NetworkNamespaces {
    static func ip(_ args: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// Whether namespaces can be created here (root, iproute2, CAP_NET_ADMIN).
    static let available: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") else { return false }
        let probe = "mt-probe-\(getpid())"
        guard ip(["netns", "add", probe]) == 0 else { return false }
        _ = ip(["netns", "del", probe])
        return true
    }()
}

@Suite(.serialized) struct NetworkNamespaceTests {
    /// A coordinator host and two worker hosts; returns the namespaces' names for cleanup.
    func makeHosts(_ tag: String) -> (coordinator: String, workers: [String]) {
        let coordinatorNS = "mtc\(tag)", workerNS = ["mtw1-\(tag)", "mtw2-\(tag)"]
        #expect(NetworkNamespaces.ip(["netns", "add", coordinatorNS]) == 0)
        _ = NetworkNamespaces.ip(["-n", coordinatorNS, "link", "set", "lo", "up"])
        for (i, ns) in workerNS.enumerated() {
            let host = "vc\(i)-\(tag)", peer = "vw\(i)-\(tag)", subnet = "10.77.\(i + 1)"
            #expect(NetworkNamespaces.ip(["netns", "add", ns]) == 0)
            #expect(NetworkNamespaces.ip(["link", "add", host, "netns", coordinatorNS, "type", "veth", "peer", "name", peer, "netns", ns]) == 0)
            #expect(NetworkNamespaces.ip(["-n", coordinatorNS, "addr", "add", "\(subnet).1/24", "dev", host]) == 0)
            #expect(NetworkNamespaces.ip(["-n", ns, "addr", "add", "\(subnet).2/24", "dev", peer]) == 0)
            _ = NetworkNamespaces.ip(["-n", coordinatorNS, "link", "set", host, "up"])
            _ = NetworkNamespaces.ip(["-n", ns, "link", "set", peer, "up"])
            _ = NetworkNamespaces.ip(["-n", ns, "link", "set", "lo", "up"])
        }
        return (coordinatorNS, workerNS)
    }

    /// Trains with a coordinator host and two worker hosts configured by deploy/compose.yaml's
    /// environment (`overrides` replace what cannot run here: the Omniglot preset, the
    /// container's run directory); `during` runs once the first progress record is written.
    /// The worker hosts resolve the name `coordinator` through /etc/netns/NS/hosts, so
    /// `METATRAIN_COORDINATOR=tcp://coordinator:5555` is used unchanged.
    func train(overrides: [String: String], tag: String, during: ((_ workerNamespaces: [String]) -> Void)? = nil) throws -> (String, String) {
        let hosts = makeHosts(tag)
        defer {
            for ns in [hosts.coordinator] + hosts.workers {
                _ = NetworkNamespaces.ip(["netns", "del", ns])
                try? FileManager.default.removeItem(atPath: "/etc/netns/\(ns)")
            }
        }
        let dir = Cluster.temporaryDirectory("netns")
        defer { try? FileManager.default.removeItem(at: dir) }
        var coordinatorEnvironment = try ComposeEnvironment.of("coordinator")
        var workerEnvironment = try ComposeEnvironment.of("worker")
        #expect(coordinatorEnvironment["METATRAIN_BIND"] == "tcp://0.0.0.0:5555")
        #expect(workerEnvironment["METATRAIN_COORDINATOR"] == "tcp://coordinator:5555")
        // The compose file's `keys` service, done here: the same commands, the same layout,
        // with /keys moved into the run's folder.
        let keys = dir.appendingPathComponent("keys")
        for (name, out) in [("coordinator", keys.path), ("worker", keys.appendingPathComponent("workers").path)] {
            let made = try Cluster.run(["keys", "generate", "--name", name, "--out", out], directory: dir, label: "keys-\(name)")
            #expect(made.status == 0, "\(made.log)")
        }
        for key in ["METATRAIN_CURVE_SECRET", "METATRAIN_ALLOW"] {
            coordinatorEnvironment[key] = coordinatorEnvironment[key]?.replacingOccurrences(of: "/keys", with: keys.path)
        }
        for key in ["METATRAIN_CURVE_SECRET", "METATRAIN_SERVER_KEY"] {
            workerEnvironment[key] = workerEnvironment[key]?.replacingOccurrences(of: "/keys", with: keys.path)
        }
        #expect(coordinatorEnvironment["METATRAIN_CURVE_SECRET"]?.hasPrefix(keys.path) == true)
        #expect(workerEnvironment["METATRAIN_SERVER_KEY"]?.hasPrefix(keys.path) == true)
        coordinatorEnvironment.merge(overrides) { $1 }
        coordinatorEnvironment["METATRAIN_RUN_DIR"] = dir.path
        let base = ProcessInfo.processInfo.environment
        for (i, ns) in hosts.workers.enumerated() {
            try FileManager.default.createDirectory(atPath: "/etc/netns/\(ns)", withIntermediateDirectories: true)
            try "127.0.0.1 localhost\n10.77.\(i + 1).1 coordinator\n".write(toFile: "/etc/netns/\(ns)/hosts", atomically: true, encoding: .utf8)
        }
        let binary = Cluster.binary.path
        let coordinator = try Cluster.Child.wrapped(["netns", "exec", hosts.coordinator, binary, "coordinator", "--eval-tasks", "4"],
                                                    directory: dir, label: "coordinator",
                                                    environment: base.merging(coordinatorEnvironment) { $1 })
        #expect(Cluster.endpoint(in: dir) != nil, "\(coordinator.log)")
        let workers = try hosts.workers.enumerated().map { i, ns in
            try Cluster.Child.wrapped(["netns", "exec", ns, binary, "worker", "--name", "host\(i + 1)"], directory: dir,
                                      label: "host\(i + 1)", environment: base.merging(workerEnvironment) { $1 })
        }
        if let during {
            #expect(Cluster.waitFor(seconds: 60) {
                ((try? String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8)) ?? "").contains("\"kind\":\"train\"")
            })
            during(hosts.workers)
        }
        #expect(coordinator.wait(seconds: 180) == 0, "\(coordinator.log)")
        for w in workers { w.wait(seconds: 5) }
        #expect(workers.allSatisfy { $0.log.contains("job ") }, "\(workers.map(\.log))")
        return (coordinator.log, try Cluster.finalParameters(dir))
    }

    @Test(.enabled(if: NetworkNamespaces.available,
                   "skipped: the cluster test across network namespaces needs root and 'ip netns' (iproute2, CAP_NET_ADMIN)"))
    func theComposeTopologyTrainsBitIdenticallyAcrossNetworkNamespacesWithTheComposeEnvironment() throws {
        let job = ["--preset", "sine-maml", "--iterations", "60", "--eval-tasks", "4"]
        let reference = try Cluster.reference(job)
        let (log, parameters) = try train(overrides: ["METATRAIN_PRESET": "sine-maml", "METATRAIN_ITERATIONS": "60"],
                                          tag: String(getpid() % 10_000))
        #expect(!log.contains("non-loopback"), "CURVE through the compose variables: no plain-TCP warning")
        #expect(parameters == reference)
    }

    @Test(.enabled(if: NetworkNamespaces.available,
                   "skipped: the cluster test across network namespaces needs root and 'ip netns' (iproute2, CAP_NET_ADMIN)"))
    func aWorkerHostThatLosesItsNetworkHasItsShardReassignedAndTheResultIsUnchanged() throws {
        let job = ["--preset", "sine-maml", "--iterations", "3000", "--eval-tasks", "4"]
        let reference = try Cluster.reference(job)
        let tag = String((getpid() + 1) % 10_000)
        let (log, parameters) = try train(overrides: ["METATRAIN_PRESET": "sine-maml", "METATRAIN_ITERATIONS": "3000"], tag: tag) { workers in
            // Unplug host 2: its TCP connection stays open but silent.
            _ = NetworkNamespaces.ip(["-n", workers[1], "link", "set", "vw1-\(tag)", "down"])
        }
        #expect(log.contains("workers lost 1"), "\(log)")
        #expect(parameters == reference)
    }
}
