import Foundation
import Testing
import MetaAlgorithms
import MetaCheckpoint
import MetaTestKit
import MetaTraining

/// A checkpoint evaluated as `metatrain eval` does: configuration and fit checked first, the
/// trainer's evaluation protocol, the text and JSON output.
@Suite struct CheckpointEvaluationTests {
    /// A tiny sine checkpoint at iteration 5, written to `directory` as a run's checkpoint.
    static func written(in directory: URL) throws -> RunCheckpoint {
        let config = TrainingLoopTests.tiny(iterations: 5)
        let parameters = config.algorithm.initialParameters(model: config.model, seed: 3, as: Float.self)
        try RunCheckpoint(iteration: 5, configuration: config, parameters: parameters).write(to: directory.appendingPathComponent("it5.ckpt"))
        return try FoundCheckpoint.newest(inRunDirectory: directory).checkpoint
    }

    @Test func aSineCheckpointIsScoredByTheTrainersProtocolOnTheTestSplit() throws {
        let dir = BuiltProducts.temporaryDirectory("evaluation")
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoint = try Self.written(in: dir)
        let evaluation = try CheckpointEvaluation(checkpoint, tasks: 4, steps: 2)
        let report = evaluation.run()

        #expect(report.metric == "mse")
        #expect(report.tasks == 4)
        #expect(report.steps.count == 3)
        let config = try checkpoint.configuration()
        let expected = try MetaTrainer<Float>(configuration: config).evaluate(checkpoint.parameters, split: .test, tasks: 4, steps: 2)
        #expect(try CheckpointEvaluation.render(report, as: .json) == CheckpointEvaluation.render(expected, as: .json))
        #expect(evaluation.announcement == "evaluating sine-maml at iteration 5 on 4 test tasks (seed \(config.evaluationSeed))…")
    }

    @Test func withoutTasksOrStepsTheConfigurationsAreUsed() throws {
        let dir = BuiltProducts.temporaryDirectory("evaluation-defaults")
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoint = try Self.written(in: dir)
        let config = try checkpoint.configuration()
        let evaluation = try CheckpointEvaluation(checkpoint)
        #expect(evaluation.tasks == config.evaluationTasks)
        let report = evaluation.run()
        #expect(report.tasks == config.evaluationTasks)
        #expect(report.steps.count == config.inner.evaluationSteps + 1)
    }

    @Test func textIsTheReportsTableAndJSONIsOneSortedObject() throws {
        let report = EvaluationReport(metric: "mse", perTask: [[1, 0.5], [3, 1.5]])
        #expect(try CheckpointEvaluation.render(report, as: .text) == report.table)
        let json = try CheckpointEvaluation.render(report, as: .json)
        #expect(!json.contains("\n"))
        #expect(json.hasPrefix(#"{"axis":"inner step","metric":"mse","steps":[{"ci95":"#))
        let back = try JSONDecoder().decode(EvaluationReport.self, from: Data(json.utf8))
        #expect(back.tasks == 2)
        #expect(back.steps.map(\.mean) == [2, 1])
    }

    @Test func theTablePrintsAccuracyAsPercentWithTwoDecimalsAndOtherMetricsWithFourDigits() {
        let accuracy = EvaluationReport(metric: "accuracy", perTask: [[0.2, 0.9897], [0.2, 0.9897]])
        #expect(accuracy.table.split(separator: "\n").map(String.init)
                    == ["step  accuracy (mean ± 95% CI over 2 tasks)", "0     20.00% ± 0.00%", "1     98.97% ± 0.00%"])
        let mse = EvaluationReport(metric: "mse", perTask: [[0.35212345], [0.35212345]])
        #expect(mse.table.hasSuffix("\n0     0.3521 ± 0"))
    }

    @Test func parametersThatDoNotFitTheModelAreRefusedNamingTheFile() throws {
        let dir = BuiltProducts.temporaryDirectory("evaluation-misfit")
        defer { try? FileManager.default.removeItem(at: dir) }
        let sine = TrainingLoopTests.tiny()
        var other = sine
        other.architecture = .sineMLP(hidden: [8])
        let url = dir.appendingPathComponent("it1.ckpt")
        try RunCheckpoint(iteration: 1, configuration: sine,
                          parameters: other.algorithm.initialParameters(model: other.model, seed: 1, as: Float.self)).write(to: url)

        let error = #expect(throws: RunError.self) { try CheckpointEvaluation(try RunCheckpoint.read(from: url)) }
        #expect(error?.description.hasPrefix("checkpoint \(url.path): its parameters do not fit its configuration's model: ") == true,
                "\(String(describing: error))")
    }

    @Test func aConfigurationThatDoesNotParseIsRefused() throws {
        var checkpoint = RunCheckpoint(iteration: 1, configuration: TrainingLoopTests.tiny(),
                                       parameters: TrainingLoopTests.tiny().algorithm.initialParameters(
                                           model: TrainingLoopTests.tiny().model, seed: 1, as: Float.self))
        checkpoint.configurationYAML = "no_such_key: 1\n"
        let error = #expect(throws: RunError.self) { try CheckpointEvaluation(checkpoint) }
        #expect(error?.description.hasPrefix("the checkpoint's configuration: ") == true, "\(String(describing: error))")
    }
}
