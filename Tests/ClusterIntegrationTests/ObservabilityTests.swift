import Foundation
import Testing

/// What an operator sees of a running coordinator: Prometheus metrics over HTTP and JSON logs.
@Suite(.serialized) struct ObservabilityTests {
    /// `GET path` on 127.0.0.1:port over a plain socket; nil when nothing answers.
    static func get(port: Int, path: String) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var response = [UInt8](), chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            response += chunk[0..<n]
        }
        return String(decoding: response, as: UTF8.self)
    }

    /// The value of a Prometheus sample line `name value`.
    static func sample(_ body: String, _ name: String) -> Double? {
        body.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
    }

    @Test func theCoordinatorServesPrometheusMetricsAndLogsJSONLines() throws {
        let dir = Cluster.temporaryDirectory("metrics")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = Cluster.freePort()
        let run = try Cluster.Child(["train", "--preset", "sine-maml", "--iterations", "100000", "--eval-tasks", "4", "--workers", "2",
                                     "--run-dir", dir.path, "--checkpoint-every", "200", "--metrics-bind", "127.0.0.1:\(port)",
                                     "--log-format", "json"], directory: dir, label: "train")
        var body = ""
        #expect(Cluster.waitFor(seconds: 60) {
            body = Self.get(port: port, path: "/metrics") ?? ""
            return (Self.sample(body, "metatrain_iteration") ?? 0) >= 400 && (Self.sample(body, "metatrain_checkpoints_total") ?? 0) >= 1
        }, "\(body)\n\(run.log)")
        #expect(body.hasPrefix("HTTP/1.1 200 OK"))
        for name in ["metatrain_meta_loss", "metatrain_train_metric", "metatrain_tasks_per_second", "metatrain_live_workers",
                     "metatrain_reassigned_shards_total", "metatrain_rejected_messages_total", "metatrain_checkpoint_stall_seconds",
                     "metatrain_checkpoint_bytes", "metatrain_coordinator_fraction"] {
            #expect(Self.sample(body, name) != nil, "\(name) missing")
        }
        #expect(Self.sample(body, "metatrain_live_workers") == 2)
        #expect((Self.sample(body, "metatrain_checkpoint_bytes") ?? 0) > 1000)
        #expect(Self.get(port: port, path: "/health")?.hasSuffix("ok\n") == true)
        #expect(Self.get(port: port, path: "/other")?.hasPrefix("HTTP/1.1 404") == true)
        kill(run.process.processIdentifier, SIGTERM)
        #expect(run.wait(seconds: 60) == 143)  // 128 + SIGTERM
        // Every log line (coordinator and workers) is one JSON object with ts, level, label, message.
        let logLines = run.log.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(logLines.count >= 3)
        for line in logLines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String], "\(line)")
            #expect(object["ts"] != nil && object["level"] != nil && object["label"] != nil && object["message"] != nil)
        }
        #expect(logLines.contains { $0.contains("\"label\":\"worker local-1\"") })
    }
}
