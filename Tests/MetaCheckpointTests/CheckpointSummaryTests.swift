import Foundation
import Testing
import MetaCheckpoint

/// `checkpoint inspect`'s summary: the text block, the JSON keys, and the errors' advice.
@Suite struct CheckpointSummaryTests {
    static func object(_ json: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    @Test func textOfACheckpointWithAdamStateAndMetricsListsEveryFact() throws {
        let checkpoint = RunCheckpointTests.smallV2(iteration: 3)
        let summary = CheckpointSummary(checkpoint, file: URL(fileURLWithPath: "/runs/x/it3.ckpt"))
        #expect(summary.text == """
            checkpoint /runs/x/it3.ckpt: verified, format version 2
              iteration:     3 (the next to run)
              configuration: sine-maml, seed 1; sha256 \(checkpoint.configurationSHA256)
              parameters:    2 tensors, 9 scalars; sha256 \(checkpoint.parametersSHA256)
              optimizer:     adam, step 3
              metrics:       24 bytes of JSON
            """)
    }

    @Test func textSaysWhatIsMissing() throws {
        var checkpoint = RunCheckpointTests.sample(iteration: 7)
        checkpoint.configurationYAML = "no_such_key: 1\n"
        let text = CheckpointSummary(checkpoint, file: URL(fileURLWithPath: "/a.ckpt")).text
        #expect(text.contains("\n  configuration: does not parse in this build; sha256 "))
        #expect(text.contains("\n  optimizer:     none (cannot resume training bit-identically)\n"))
        #expect(text.hasSuffix("\n  metrics:       none"))
    }

    @Test func jsonHasEveryKeyWithNullForAMissingOptimizer() throws {
        let checkpoint = RunCheckpointTests.sample(iteration: 7)
        let json = try CheckpointSummary(checkpoint, file: URL(fileURLWithPath: "/a.ckpt")).json()
        #expect(!json.contains("\n"))
        let object = try Self.object(json)
        #expect(Set(object.keys) == ["file", "format_version", "iteration", "config_sha256", "parameter_count",
                                     "parameters_sha256", "verified", "optimizer", "optimizer_step"])
        #expect(object["optimizer"] is NSNull)
        #expect(object["optimizer_step"] is NSNull)
        #expect(object["iteration"] as? Int == 7)
        #expect(object["verified"] as? Bool == true)
        #expect(object["file"] as? String == "/a.ckpt")
        #expect(object["parameter_count"] as? Int == checkpoint.parameters.scalarCount)
        #expect(object["parameters_sha256"] as? String == checkpoint.parametersSHA256)
        // Keys sorted: the output is stable across runs.
        #expect(json.hasPrefix(#"{"config_sha256":"#))
    }

    @Test func jsonNamesTheOptimizerAndItsStep() throws {
        let json = try CheckpointSummary(RunCheckpointTests.smallV2(iteration: 4), file: URL(fileURLWithPath: "/b.ckpt")).json()
        let object = try Self.object(json)
        #expect(object["optimizer"] as? String == "adam")
        #expect(object["optimizer_step"] as? Int == 4)
        #expect(object["format_version"] as? Int == 2)
    }

    @Test func inspectingADamagedFileAdvisesItsRunDirectory() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("it5.ckpt")
        try RunCheckpointTests.sample(iteration: 5).write(to: url)
        let data = try Data(contentsOf: url)
        try data.prefix(data.count - 10).write(to: url)

        let error = #expect(throws: CheckpointError.self) { try CheckpointSummary.inspect(path: url.path) }
        let message = error?.description ?? ""
        #expect(message.contains(url.path), "\(message)")
        #expect(message.hasSuffix("; do not resume from it: inspect its run directory to find the newest checkpoint that verifies"))
    }

    @Test func inspectingARunDirectorySummarisesItsNewestGoodCheckpointAndReportsTheSkipped() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try RunCheckpointTests.sample(iteration: 100).write(to: dir.appendingPathComponent("it100.ckpt"))
        try Data("damaged".utf8).write(to: dir.appendingPathComponent("it200.ckpt"))

        let (summary, skipped) = try CheckpointSummary.inspect(path: dir.path)
        #expect(summary.iteration == 100)
        #expect(summary.file == dir.appendingPathComponent("it100.ckpt").path)
        #expect(skipped.count == 1)
        #expect(skipped.first?.contains("it200.ckpt") == true)
    }

    @Test func inspectingAnEmptyRunDirectoryGetsNoFileAdvice() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let error = #expect(throws: CheckpointError.self) { try CheckpointSummary.inspect(path: dir.path) }
        #expect(error?.description.contains("do not resume from it") == false, "\(String(describing: error))")
    }
}
