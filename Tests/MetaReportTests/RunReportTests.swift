import Foundation
import Testing
import MetaReport

/// Reading a run's files: records by kind, malformed lines counted, a resumed run's repeats.
@Suite struct RunReportTests {
    @Test func recordsAreReadByKindAndSortedByIteration() {
        let metrics = """
            {"kind":"train","iteration":200,"meta_loss":0.5,"train_metric":0.25,"metric":"mse","tasks_per_second":50,"elapsed_seconds":1}
            {"kind":"train","iteration":100,"meta_loss":1.0,"train_metric":0.75,"metric":"mse","tasks_per_second":40,"elapsed_seconds":2,"workers":3}
            {"kind":"validation","iteration":100,"split":"validation","metric":"mse","steps":1,"mean":0.6,"ci95":0.05}
            {"kind":"checkpoint","iteration":100,"path":"iteration-100.ckpt","elapsed_seconds":2.25,"write_seconds":0.01,"bytes":4096,"stall_seconds":0.001}
            {"kind":"checkpoint","iteration":200,"path":"final.ckpt","elapsed_seconds":2.5}
            """
        let report = RunReport(config: "name: tiny\n", metrics: metrics, evaluation: nil)

        #expect(report.training.map(\.iteration) == [100, 200])
        #expect(report.training[0].workers == 3 && report.training[1].workers == nil)
        #expect(report.training.map(\.metaLoss) == [1.0, 0.5])
        #expect(report.validation.count == 1)
        let v = report.validation.first
        #expect(v?.iteration == 100 && v?.split == "validation" && v?.metric == "mse" && v?.steps == 1)
        #expect(v?.mean == 0.6 && v?.ci95 == 0.05)
        #expect(report.checkpoints.map(\.path) == ["iteration-100.ckpt", "final.ckpt"])
        #expect(report.checkpoints[0].bytes == 4096 && report.checkpoints[1].bytes == nil)
        #expect(report.metric == "mse")
        #expect(report.skippedLines == 0 && report.resumptions == 0 && report.replacedRecords == 0)
        #expect(report.config == "name: tiny\n")
        #expect(report.evaluation == nil && report.evaluationProblem == nil)
    }

    @Test func malformedLinesAreCountedAndUnknownKindsAndKeysIgnored() {
        let metrics = """
            not json
            [1, 2]
            {"kind":"train","iteration":
            {"kind":"train","iteration":"ten"}
            {"kind":"validation","iteration":5}
            {"iteration":5}
            {"kind":"from-the-future","iteration":5}
            {"kind":"train","iteration":1,"meta_loss":2,"an_unknown_key":{"x":[1]}}

            """
        let report = RunReport(config: nil, metrics: metrics, evaluation: nil)
        // Not an object (2), cut off (1), no numeric iteration (1), validation without a mean (1), no kind (1).
        #expect(report.skippedLines == 6)
        #expect(report.training.map(\.iteration) == [1])
        #expect(report.training.first?.metaLoss == 2)
    }

    @Test func aResumedRunKeepsTheLastRecordPerIterationAndAddsUpWallTime() {
        // The first process reaches 300 in 3 s and dies; the second resumes from 200.
        let metrics = [(100, 3.0, 1.0), (200, 2.0, 2.0), (300, 1.5, 3.0), (300, 1.25, 1.0), (400, 1.0, 2.0)].map { i, loss, t in
            "{\"kind\":\"train\",\"iteration\":\(i),\"meta_loss\":\(loss),\"elapsed_seconds\":\(t)}"
        }.joined(separator: "\n")
        let report = RunReport(config: nil, metrics: metrics, evaluation: nil)

        #expect(report.resumptions == 1)
        #expect(report.replacedRecords == 1)
        #expect(report.training.map(\.iteration) == [100, 200, 300, 400])
        #expect(report.training.map(\.metaLoss) == [3.0, 2.0, 1.25, 1.0])
        // The second process's 1 s and 2 s come after the first process's 3 s.
        #expect(report.training.map(\.wallSeconds) == [1.0, 2.0, 4.0, 5.0])
    }

    @Test func theEvaluationIsDecodedOrItsProblemStated() throws {
        let good = Data(#"{"metric":"accuracy","tasks":600,"steps":[{"mean":0.2,"ci95":0.01},{"mean":0.9,"ci95":0.02}]}"#.utf8)
        let report = RunReport(config: nil, metrics: "", evaluation: good)
        #expect(report.evaluation?.tasks == 600)
        #expect(report.evaluation?.steps.map(\.mean) == [0.2, 0.9])
        #expect(report.metric == "accuracy")

        let bad = RunReport(config: nil, metrics: "", evaluation: Data(#"{"metric":"accuracy"}"#.utf8))
        #expect(bad.evaluation == nil)
        #expect(bad.evaluationProblem?.hasPrefix("evaluation.json could not be read: missing key") == true, "\(bad.evaluationProblem ?? "nil")")
    }
}
