import Foundation
import Testing

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
    @Test(.enabled(if: NetworkNamespaces.available,
                   "skipped: the cluster test across network namespaces needs root and 'ip netns' (iproute2, CAP_NET_ADMIN)"))
    func aCoordinatorHostAndTwoWorkerHostsTrainBitIdenticallyOverVethLinks() throws {
        let job = ["--preset", "sine-maml", "--iterations", "60", "--eval-tasks", "4"]
        let reference = try Cluster.reference(job)
        let tag = String(getpid() % 10_000)
        let coordinatorNS = "mtc\(tag)", workerNS = ["mtw1-\(tag)", "mtw2-\(tag)"]
        defer { for ns in [coordinatorNS] + workerNS { _ = NetworkNamespaces.ip(["netns", "del", ns]) } }
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
        let dir = Cluster.temporaryDirectory("netns")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = 20_000 + Int(getpid() % 20_000)
        let binary = Cluster.binary.path
        let coordinator = try Cluster.Child.wrapped(["netns", "exec", coordinatorNS, binary, "coordinator"] + job
            + ["--bind", "tcp://0.0.0.0:\(port)", "--run-dir", dir.path, "--min-workers", "2"] + Cluster.fastHeartbeat,
            directory: dir, label: "coordinator")
        #expect(Cluster.endpoint(in: dir) != nil, "\(coordinator.log)")
        let workers = try workerNS.enumerated().map { i, ns in
            try Cluster.Child.wrapped(["netns", "exec", ns, binary, "worker", "--connect", "tcp://10.77.\(i + 1).1:\(port)",
                                       "--name", "host\(i + 1)"] + Cluster.fastHeartbeat, directory: dir, label: "host\(i + 1)")
        }
        #expect(coordinator.wait(seconds: 120) == 0, "\(coordinator.log)")
        for w in workers { w.wait(seconds: 10) }
        #expect(coordinator.log.contains("non-loopback"), "plain TCP on 0.0.0.0 should warn")
        #expect(workers.allSatisfy { $0.log.contains("job ") })
        #expect(try Cluster.finalParameters(dir) == reference)
    }
}
