import Foundation
import Testing

/// The metrics endpoint of a real training process under clients that hold connections open.
@Suite(.serialized) struct MetricsEndpointTests {
    /// A connection that sends half a request line and then one byte a second.
    final class SlowClient: @unchecked Sendable {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)

        init?(port: Int) {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = UInt16(port).bigEndian
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let ok = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard ok == 0 else { return nil }
            trickle("GET /metr")
        }

        func trickle(_ text: String) { _ = Array(text.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }

        deinit { close(fd) }
    }

    final class Box: @unchecked Sendable { var value: String? }

    @Test func slowClientsDoNotStopHealthDuringTrainingAndTheRunFinishes() throws {
        let dir = Cluster.temporaryDirectory("metrics-endpoint")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = Cluster.freePort()
        let run = try Cluster.Child(["train", "--preset", "sine-maml", "--iterations", "6000", "--eval-tasks", "4",
                                     "--run-dir", dir.path, "--metrics-bind", "127.0.0.1:\(port)"], directory: dir, label: "train")
        #expect(Cluster.waitFor(seconds: 60) { ObservabilityTests.get(port: port, path: "/health")?.hasSuffix("ok\n") == true }, "\(run.log)")
        let slow = (0..<20).compactMap { _ in SlowClient(port: port) }
        #expect(slow.count == 20)
        var answers = 0
        for _ in 0..<3 {
            for client in slow { client.trickle("i") }
            // ObservabilityTests.get blocks until the server closes; bound it from outside.
            let answered = DispatchSemaphore(value: 0)
            let health = Box()
            Thread {
                health.value = ObservabilityTests.get(port: port, path: "/health")
                answered.signal()
            }.start()
            if answered.wait(timeout: .now() + 10) == .success, health.value?.hasSuffix("ok\n") == true { answers += 1 }
            usleep(300_000)
        }
        #expect(answers == 3, "/health not answered while slow clients hold connections\n\(run.log)")
        #expect(run.process.isRunning, "the run ended before the checks, so they did not overlap training")
        #expect(run.wait(seconds: 120) == 0, "\(run.log)")
        _ = slow
    }
}
