import Foundation
import Testing

/// A run's TensorBoard event files, read back by the `tensorboard` Python package's own reader
/// (scripts/install-deps.sh installs it).
@Suite struct TensorBoardTests {
    /// Every scalar series in `directory` as `tag: [[step, value]]`, and the file version, read
    /// with `EventAccumulator` (all event files of the directory, in name order).
    static func readScalars(_ directory: URL) throws -> (series: [String: [[Double]]], fileVersion: String, log: String) {
        let script = """
            import json, sys
            from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
            acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0})
            acc.Reload()
            series = {tag: [[e.step, e.value] for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}
            print(json.dumps({"series": series, "file_version": str(acc.file_version)}))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, directory.path]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let object = try #require(try? JSONSerialization.jsonObject(with: data) as? [String: Any], "python3: \(log)")
        let series = (object["series"] as? [String: [[Double]]]) ?? [:]
        return (series, object["file_version"] as? String ?? "", log)
    }

    @Test func aRunAndItsResumptionWriteEventFilesTensorBoardReadsWithTheTagsAndStepsOfMetricsJSONL() throws {
        let dir = Cluster.temporaryDirectory("tensorboard")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("run.yaml")
        try "preset: sine-maml\niterations: 300\nvalidation: {interval: 100, tasks: 10}\nevaluation: {tasks: 4}\n"
            .write(to: config, atomically: true, encoding: .utf8)
        let run = dir.appendingPathComponent("run")
        let first = try Cluster.run(["train", "--config", config.path, "--run-dir", run.path, "--checkpoint-every", "100"],
                                    directory: dir, label: "first")
        #expect(first.status == 0, "\(first.log)")
        let resumed = try Cluster.run(["train", "--config", config.path, "--run-dir", run.path, "--resume", "--iterations", "500"],
                                      directory: dir, label: "resumed")
        #expect(resumed.status == 0, "\(resumed.log)")

        let files = try FileManager.default.contentsOfDirectory(atPath: run.path).filter { $0.hasPrefix("events.out.tfevents.") }
        #expect(files.count == 2, "\(files)")
        let host = ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "_")
        #expect(files.allSatisfy { $0.split(separator: ".")[3].allSatisfy(\.isNumber) && $0.contains(".\(host)") }, "\(files)")

        let (series, version, log) = try Self.readScalars(run)
        #expect(version == "2.0" || version == "2", "\(version) \(log)")
        for tag in ["train/meta_loss", "train/mse", "train/tasks_per_second"] {
            #expect(series[tag]?.map { $0[0] } == [100, 200, 300, 400, 500], "\(tag): \(series[tag] ?? []) \(log)")
        }
        for tag in ["validation/mse", "validation/mse_ci95"] {
            #expect(series[tag]?.map { $0[0] } == [100, 200, 400], "\(tag): \(series[tag] ?? [])")
        }
        #expect(series["checkpoint/stall_seconds"]?.map { $0[0] } == [200, 300], "\(series["checkpoint/stall_seconds"] ?? [])")

        // The values are metrics.jsonl's, as 32-bit floats.
        let records = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let losses = records.filter { $0["kind"] as? String == "train" }.compactMap { $0["meta_loss"] as? Double }
        #expect(losses.count == 5)
        #expect(series["train/meta_loss"]?.map { Float($0[1]) } == losses.map { Float($0) })
        let validations = records.filter { $0["kind"] as? String == "validation" }.compactMap { $0["mean"] as? Double }
        #expect(series["validation/mse"]?.map { Float($0[1]) } == validations.map { Float($0) })
    }

    @Test func overwritingARunRemovesItsEventFiles() throws {
        let dir = Cluster.temporaryDirectory("tensorboard-overwrite")
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run")
        for label in ["first", "second"] {
            let result = try Cluster.run(["train", "--preset", "sine-maml", "--iterations", "100", "--eval-tasks", "4", "--run-dir", run.path,
                                          "--overwrite"], directory: dir, label: label)
            #expect(result.status == 0, "\(result.log)")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: run.path).filter { $0.hasPrefix("events.out.tfevents.") }
        #expect(files.count == 1, "\(files)")
    }
}
