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
        for name in ["metatrain_meta_loss", "metatrain_train_mse", "metatrain_tasks_per_second", "metatrain_live_workers",
                     "metatrain_reassigned_shards_total", "metatrain_rejected_messages_total", "metatrain_checkpoint_stall_seconds",
                     "metatrain_checkpoint_bytes", "metatrain_coordinator_time_ratio", "metatrain_iterations_total", "metatrain_tasks_total"] {
            #expect(Self.sample(body, name) != nil, "\(name) missing")
            #expect(body.contains("\n# HELP \(name) ") && body.contains("\n# TYPE \(name) "), "\(name): no HELP or TYPE")
        }
        // sine-maml's meta-batch is 25 tasks.
        #expect(Self.sample(body, "metatrain_tasks_total") == 25 * (Self.sample(body, "metatrain_iterations_total") ?? -1))
        #expect(body.contains("\nmetatrain_build_info{") && body.contains("version=\"") && body.contains("commit=\""))
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
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            #expect(object["ts"] is String && object["level"] is String && object["label"] is String && object["message"] is String)
        }
        #expect(logLines.contains { $0.contains("\"label\":\"worker local-1\"") })
    }

    @Test func withJSONLogsTheProgressAndValidationLinesAreJSONObjectsOnStandardError() throws {
        let dir = Cluster.temporaryDirectory("jsonprogress")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("run.yaml")
        try "preset: sine-maml\niterations: 300\nvalidation: {interval: 100, tasks: 10}\nevaluation: {tasks: 4}\n"
            .write(to: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = Cluster.binary
        process.arguments = ["train", "--config", config.path, "--run-dir", dir.appendingPathComponent("run").path, "--log-format", "json"]
        let stdout = dir.appendingPathComponent("stdout"), stderr = dir.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: stdout.path, contents: nil)
        FileManager.default.createFile(atPath: stderr.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()
        process.waitUntilExit()
        let errors = try String(contentsOf: stderr, encoding: .utf8), output = try String(contentsOf: stdout, encoding: .utf8)
        #expect(process.terminationStatus == 0, "\(errors)\n\(output)")
        let objects = try errors.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "not a JSON object: \($0)")
        }
        let progress = objects.filter { $0["label"] as? String == "progress" }
        #expect(progress.map { $0["iteration"] as? Int } == [100, 200, 300])
        for line in progress {
            #expect(line["total"] as? Int == 300 && line["metric"] as? String == "mse")
            for key in ["meta_loss", "train_metric", "tasks_per_second", "elapsed_seconds", "eta_seconds"] {
                #expect(line[key] is Double, "\(key) in \(line)")
            }
            #expect((line["message"] as? String)?.hasPrefix("iteration ") == true)
        }
        #expect(progress.last?["eta_seconds"] as? Double == 0)
        let validation = objects.filter { $0["label"] as? String == "validation" }
        #expect(validation.map { $0["iteration"] as? Int } == [100, 200])
        for line in validation {
            #expect(line["metric"] as? String == "mse" && line["mean"] is Double && line["ci95"] is Double && line["tasks"] as? Int == 10)
        }
        // Standard output keeps the header and the evaluation, without progress lines.
        #expect(output.contains("metatrain: ") && !output.contains("iteration 100/300") && !output.contains("validation at"))
    }

    @Test func aTrainRunTakesItsSettingsFromMETATRAINVariables() throws {
        let dir = Cluster.temporaryDirectory("envrun")
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run")
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("METATRAIN_") }
        environment.merge(["METATRAIN_PRESET": "sine-maml", "METATRAIN_ITERATIONS": "200", "METATRAIN_RUN_DIR": run.path,
                           "METATRAIN_SEED": "11", "METATRAIN_EVAL_TASKS": "3", "METATRAIN_CHECKPOINT_EVERY": "50", "METATRAIN_KEEP": "1",
                           "METATRAIN_LOG_FORMAT": "json", "METATRAIN_WORKERS": "1", "METATRAIN_THREADS": "1"]) { $1 }
        let child = try Cluster.Child(["train"], directory: dir, label: "train", environment: environment)
        #expect(child.wait(seconds: 120) == 0, "\(child.log)")
        let config = try String(contentsOf: run.appendingPathComponent("config.yaml"), encoding: .utf8)
        #expect(config.contains("iterations: 200") && config.contains("seed: 11"), "\(config)")
        // --keep 1: one periodic checkpoint left of 50, 100 and 150; the evaluation on 3 tasks.
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: run.path).filter { $0.hasPrefix("iteration-") }
        #expect(checkpoints == ["iteration-150.ckpt"], "\(checkpoints)")
        let evaluation = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("evaluation.json")))
                                      as? [String: Any])
        #expect(evaluation["tasks"] as? Int == 3, "\(evaluation)")
        // --log-format json, and one local worker (--workers 1).
        #expect(child.log.contains("\"label\":\"progress\"") && child.log.contains("\"workers\":1"), "\(child.log)")
        #expect(child.log.contains("\"label\":\"worker local-1\""), "\(child.log)")
    }
}
