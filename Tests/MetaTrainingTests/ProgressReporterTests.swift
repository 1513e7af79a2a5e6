import Foundation
import Testing
import MetaTraining

/// The progress line's figures from given values, and when it is printed, by an injected clock.
@Suite struct ProgressReporterTests {
    /// A clock the test moves by hand.
    final class ManualClock: @unchecked Sendable {
        var now = 0.0
    }

    @Test func theLineShowsIterationLossMetricThroughputElapsedAndETA() {
        // 250 iterations in 50 s: 5 per second, so the remaining 750 take 150 s.
        let line = ProgressReporter.line(done: 250, total: 1000, startIteration: 0, elapsed: 50, loss: 0.25, metricName: "accuracy",
                                         metric: 0.5, tasksPerSecond: 123.4, workers: nil)
        #expect(line == "iteration 250/1000  meta-loss 0.2500  accuracy 0.5000  123 tasks/s  elapsed 0m50s  ETA 2m30s")
    }

    @Test func aResumedRunsETACountsOnlyTheIterationsOfThisProcess() {
        // Resumed at 500: 100 iterations in 100 s, 400 to go.
        let line = ProgressReporter.line(done: 600, total: 1000, startIteration: 500, elapsed: 100, loss: 1, metricName: "mse",
                                         metric: 2, tasksPerSecond: 25, workers: nil)
        #expect(line.hasSuffix("elapsed 1m40s  ETA 6m40s"), "\(line)")
    }

    @Test func workersAreShownWhenGivenAndHoursFromAnHourOn() {
        let line = ProgressReporter.line(done: 10, total: 100, startIteration: 0, elapsed: 4000, loss: 1, metricName: "mse",
                                         metric: 1, tasksPerSecond: 1, workers: 3)
        #expect(line.contains("1 tasks/s  3 workers  elapsed 1h06m  ETA 10h00m"), "\(line)")
    }

    @Test func linesArePrintedAtMostOncePerIntervalOfTheClockAndTheLastAlways() {
        let clock = ManualClock(), out = Lines()
        let progress = ProgressReporter(total: 30, interval: 5, isTerminal: false, clock: { clock.now }, output: out.append)
        func update(_ done: Int, at t: Double) {
            clock.now = t
            progress.update(done: done, loss: 0, metricName: "mse", metric: 0, tasksPerSecond: 0)
        }
        update(10, at: 1)
        update(11, at: 2)   // within 5 s of the previous line
        update(20, at: 6)
        update(30, at: 7)   // the last iteration
        let printed = out.all.map { $0.split(separator: "/").first.map(String.init) ?? "" }
        #expect(printed == ["iteration 10", "iteration 20", "iteration 30"], "\(out.all)")
        #expect(out.all.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") })
        #expect(progress.elapsed == 7)
    }

    @Test func onATerminalTheLineIsRewrittenInPlaceAndAMessageClearsIt() {
        let clock = ManualClock(), out = Lines()
        let progress = ProgressReporter(total: 2, interval: 0, isTerminal: true, clock: { clock.now }, output: out.append)
        progress.update(done: 1, loss: 0, metricName: "mse", metric: 0, tasksPerSecond: 0)
        progress.message("validation at 1")
        progress.update(done: 2, loss: 0, metricName: "mse", metric: 0, tasksPerSecond: 0)
        let erase = "\r\u{1B}[2K"
        #expect(out.all.count == 3)
        #expect(out.all[0].hasPrefix(erase + "iteration 1/2") && !out.all[0].hasSuffix("\n"))
        #expect(out.all[1] == erase + "validation at 1\n")
        #expect(out.all[2].hasPrefix(erase + "iteration 2/2") && out.all[2].hasSuffix("\n"))
    }

    @Test func withTheJSONFormatEveryUpdateIsOneObjectWithTheFiguresAndMessagesCarryTheirFields() throws {
        let clock = ManualClock(), out = Lines()
        let progress = ProgressReporter(total: 1000, startIteration: 0, logFormat: .json, isTerminal: true, clock: { clock.now },
                                        output: out.append)
        clock.now = 50
        progress.update(done: 250, loss: 0.25, metricName: "accuracy", metric: 0.5, tasksPerSecond: 123.5, workers: 2)
        clock.now = 50.1  // no interval holds a JSON line back
        progress.update(done: 260, loss: .nan, metricName: "accuracy", metric: 0.5, tasksPerSecond: 1)
        progress.message("validation at 260", label: "validation", fields: ["iteration": 260, "mean": 0.75])
        #expect(out.all.count == 3)
        #expect(out.all.allSatisfy { $0.hasPrefix("{") && $0.hasSuffix("}\n") && !$0.contains("\r") })
        let objects = try out.all.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let first = objects[0]
        #expect(first["label"] as? String == "progress" && first["level"] as? String == "info" && first["ts"] is String)
        #expect(first["iteration"] as? Int == 250 && first["total"] as? Int == 1000 && first["workers"] as? Int == 2)
        #expect(first["meta_loss"] as? Double == 0.25 && first["train_metric"] as? Double == 0.5 && first["metric"] as? String == "accuracy")
        #expect(first["tasks_per_second"] as? Double == 123.5 && first["elapsed_seconds"] as? Double == 50)
        #expect(first["eta_seconds"] as? Double == 150)  // 250 iterations in 50 s, 750 to go
        #expect((first["message"] as? String)?.hasPrefix("iteration 250/1000  meta-loss 0.2500") == true)
        #expect(objects[1]["meta_loss"] is NSNull)  // a diverged loss is null, not invalid JSON
        #expect(objects[1]["workers"] == nil)
        #expect(objects[2]["label"] as? String == "validation" && objects[2]["mean"] as? Double == 0.75
                && objects[2]["message"] as? String == "validation at 260")
    }
}
