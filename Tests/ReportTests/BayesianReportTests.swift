import Foundation
import Testing
import MetaTestKit

/// `metatrain report` and `metatrain calibration` on a real (short) ABML run on ambiguous tasks.
@Suite(.serialized) struct BayesianReportTests {
    @Test func anABMLRunsReportDrawsPosteriorDrawsAndThePredictiveBandForEachHeldOutTask() throws {
        let run = try SharedBayesRun.directory.get()
        let result = try Metatrain.run(["report", "--run-dir", run.path])
        #expect(result.status == 0, "\(result.stderr)")
        let html = try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
        for index in 0..<3 {
            #expect(html.contains("data-chart=\"task-\(index)\" data-series=\"predictive-95,draw-0,draw-1,draw-2,truth,support,step-0,step-1,step-2\""),
                    "held-out task \(index)")
            // Three draws, the truth and three predictions, each over the whole grid.
            let curves = Page.curvePaths(html, chart: "task-\(index)")
            #expect(curves.count == 7 && curves.allSatisfy { $0.count == 201 }, "task \(index): \(curves.map(\.count))")
        }
        #expect(Page.count(of: "class=\"point\"", in: html) == 3 * 5, "5 support points per task")
        guard let dom = try Chromium.dumpDOM(of: run.appendingPathComponent("report.html")) else { return }
        #expect(Page.attribute("data-rendered-curves", in: dom) == Page.count(of: "<path class=\"curve", in: html),
                "every curve drawn with a size")
        #expect(Page.attribute("data-rendered-charts", in: dom) == Page.count(of: "<svg class=\"chart\"", in: html))
    }

    @Test func calibrationPrintsCoverageAtEachLevelAndTheNLLAsJSON() throws {
        let run = try SharedBayesRun.directory.get()
        let result = try Metatrain.run(["calibration", "--run-dir", run.path, "--tasks", "20", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(report["tasks"] as? Int == 20)
        let coverage = try #require(report["coverage"] as? [[String: Any]])
        #expect(coverage.compactMap { ($0["level"] as? NSNumber)?.doubleValue } == [0.5, 0.9, 0.95])
        let fractions = coverage.compactMap { (($0["fraction"] as? [String: Any])?["mean"] as? NSNumber)?.doubleValue }
        // Wider intervals hold at least as many targets.
        #expect(fractions.count == 3 && fractions[0] <= fractions[1] && fractions[1] <= fractions[2] && fractions[2] <= 1)
        #expect((report["predictive"] as? String)?.hasPrefix("posterior predictive (3 draws") == true)
        let text = try Metatrain.run(["calibration", "--run-dir", run.path, "--tasks", "20"])
        #expect(text.status == 0 && text.stdout.contains("coverage 95%: ") && text.stdout.contains("nll: "))
    }

    /// `--compare` scores a second checkpoint on the same tasks: against itself the paired NLL
    /// difference is exactly 0 with a zero-width interval.
    @Test func calibrationComparesTwoCheckpointsOnTheSameTasksByThePairedNLLDifference() throws {
        let run = try SharedBayesRun.directory.get()
        let result = try Metatrain.run(["calibration", "--run-dir", run.path, "--tasks", "20", "--compare", run.path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let difference = try #require(object["nllDifference"] as? [String: Any])
        #expect((difference["mean"] as? NSNumber)?.doubleValue == 0 && (difference["ci95"] as? NSNumber)?.doubleValue == 0)
        let report = try #require(object["report"] as? [String: Any]), compared = try #require(object["compared"] as? [String: Any])
        #expect((report["taskNLL"] as? [Double])?.count == 20 && report["taskNLL"] as? [Double] == compared["taskNLL"] as? [Double])
        let text = try Metatrain.run(["calibration", "--run-dir", run.path, "--tasks", "20", "--compare", run.path])
        #expect(text.status == 0 && text.stdout.contains("paired nll difference (this − compared) over 20 tasks: 0.0000 ± 0.0000"))
        let missing = try Metatrain.run(["calibration", "--run-dir", run.path, "--tasks", "20", "--compare", run.path + "-nothing"])
        #expect(missing.status != 0 && missing.stderr.contains("--compare: no such checkpoint file or run directory"))
    }

    @Test func calibrationWithoutACheckpointFailsWithOneLine() throws {
        let result = try Metatrain.run(["calibration", "--tasks", "20"])
        #expect(result.status != 0 && result.stderr.contains("give exactly one of --run-dir and --checkpoint"))
    }
}

/// One short real ABML run on ambiguous regression, trained on first use.
enum SharedBayesRun {
    static let configuration = """
        name: report-abml
        algorithm: abml
        tasks: {family: ambiguous, shots: 5, queries: 20}
        model: {architecture: sine-mlp, hidden: [16, 16]}
        inner: {steps: 2, evaluation_steps: 2, learning_rate: 0.01, samples: 3}
        iterations: 30
        meta_batch: 4
        seed: 5
        validation: {interval: 1000, tasks: 2}
        outer: {optimizer: adam, learning_rate: 0.003}

        """

    static let directory: Result<URL, SharedRun.TrainingFailed> = {
        let dir = Metatrain.temporaryDirectory("abml-run")
        atexit { if case .success(let dir) = SharedBayesRun.directory { try? FileManager.default.removeItem(at: dir) } }
        do {
            let configs = Metatrain.temporaryDirectory("abml-config")
            defer { try? FileManager.default.removeItem(at: configs) }
            let config = configs.appendingPathComponent("abml.yaml")
            try configuration.write(to: config, atomically: true, encoding: .utf8)
            let result = try Metatrain.run(["train", "--config", config.path, "--eval-tasks", "10", "--run-dir", dir.path], seconds: 600)
            guard result.status == 0 else {
                return .failure(SharedRun.TrainingFailed(description: "train exited with \(result.status): \(result.stderr.suffix(2000))"))
            }
            return .success(dir)
        } catch {
            return .failure(SharedRun.TrainingFailed(description: "cannot start metatrain: \(error)"))
        }
    }()
}
