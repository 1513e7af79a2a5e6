import Foundation
import Testing
import MetaTestKit
import MetaReport

/// The page and its charts from a fixture run, and the file I/O around them.
@Suite struct ReportPageTests {
    static let metrics = """
        {"kind":"train","iteration":100,"meta_loss":1.0,"train_metric":0.5,"metric":"accuracy","tasks_per_second":40,"elapsed_seconds":1}
        {"kind":"train","iteration":200,"meta_loss":0.5,"train_metric":0.75,"metric":"accuracy","tasks_per_second":50,"elapsed_seconds":2}
        {"kind":"validation","iteration":200,"split":"validation","metric":"accuracy","steps":1,"mean":0.7,"ci95":0.05}
        {"kind":"checkpoint","iteration":200,"path":"final.ckpt","elapsed_seconds":2.5}

        """
    static let evaluation = #"{"metric":"accuracy","tasks":600,"steps":[{"mean":0.2,"ci95":0.01},{"mean":0.9725,"ci95":0.0041}]}"#

    /// A sequence learner's evaluation (MANN) is indexed by presentation, from 1.
    @Test func anEvaluationByPresentationIsLabelledByPresentation() {
        let evaluation = #"{"metric":"accuracy","tasks":600,"axis":"presentation","steps":[{"mean":0.364,"ci95":0.01},{"mean":0.828,"ci95":0.01}]}"#
        let html = ReportPage(report: RunReport(config: nil, metrics: "", evaluation: Data(evaluation.utf8)), runDirectory: "/runs/m").html
        #expect(html.contains("<th>presentation</th>"))
        #expect(html.contains("<tr><td>1</td><td class=\"num\">36.40% ± 1.00%</td></tr>"))
        #expect(html.contains("<tr><td>2</td><td class=\"num\">82.80% ± 1.00%</td></tr>"))
        #expect(html.contains("k-th presentation of a class"))
    }

    @Test func aFixtureRunRendersAPageWithSVGChartsAndTheEvaluationTable() {
        let report = RunReport(config: "name: fixture-run\nseed: 1\n", metrics: Self.metrics, evaluation: Data(Self.evaluation.utf8))
        let page = ReportPage(report: report, runDirectory: "/runs/fixture")
        let html = page.html

        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<title>metatrain report: fixture-run</title>"))
        #expect(page.charts.map(\.key) == ["meta_loss", "metric", "meta_loss_vs_wall_time", "tasks_per_second"])
        for key in ["meta_loss", "metric", "meta_loss_vs_wall_time", "tasks_per_second"] {
            #expect(html.contains("<svg class=\"chart\" data-chart=\"\(key)\""), "no chart \(key)")
        }
        #expect(!html.contains("data-chart=\"workers\""))
        #expect(html.contains("<tr><td>1</td><td class=\"num\">97.25% ± 0.41%</td></tr>"))
        #expect(html.contains("<th>inner step</th>"), "reports written without an axis are by inner step")
        #expect(html.contains("<td>final.ckpt</td>"))
        #expect(html.contains("<pre class=\"config\">name: fixture-run"))
        #expect(html.contains("data-skipped-lines=\"0\""))
        // Self-contained: nothing loaded from anywhere.
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("<link"))
    }

    @Test func anEmptyLogSaysSoAndDrawsNoChart() {
        let page = ReportPage(report: RunReport(config: nil, metrics: "", evaluation: nil), runDirectory: "/runs/empty")
        #expect(page.charts.isEmpty)
        #expect(page.html.contains("No metrics recorded"))
        #expect(page.html.contains("No evaluation.json"))
        #expect(page.html.contains("No config.yaml"))
        #expect(page.html.contains("<title>metatrain report: empty</title>"))
    }

    @Test func theWriterWritesReportHTMLIntoTheRunDirectory() throws {
        let dir = BuiltProducts.temporaryDirectory("report-writer")
        defer { try? FileManager.default.removeItem(at: dir) }
        try (Self.metrics + "garbage\n").write(to: dir.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        try Self.evaluation.write(to: dir.appendingPathComponent("evaluation.json"), atomically: true, encoding: .utf8)

        let written = try ReportWriter.write(runDirectory: dir.path)
        #expect(written.url == dir.appendingPathComponent("report.html"))
        #expect(written.skippedLines == 1)
        #expect(written.message == "report written to \(written.url.path) (1 malformed line of metrics.jsonl skipped)")
        let html = try String(contentsOf: written.url, encoding: .utf8)
        #expect(html.contains("<svg class=\"chart\" data-chart=\"meta_loss\""))
        #expect(html.contains("97.25% ± 0.41%"))

        try Self.metrics.write(to: dir.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        #expect(try ReportWriter.write(runDirectory: dir.path).message == "report written to \(written.url.path)")

        let elsewhere = dir.appendingPathComponent("elsewhere.html")
        #expect(try ReportWriter.write(runDirectory: dir.path, output: elsewhere.path).url == elsewhere)
        #expect(FileManager.default.fileExists(atPath: elsewhere.path))
    }

    @Test func aDirectoryWithoutMetricsOrNoDirectoryIsAnErrorAndWritesNothing() throws {
        let dir = BuiltProducts.temporaryDirectory("report-nometrics")
        defer { try? FileManager.default.removeItem(at: dir) }
        let noMetrics = #expect(throws: ReportError.self) { try ReportWriter.write(runDirectory: dir.path) }
        #expect(noMetrics?.description == "no metrics.jsonl in \(dir.path): run metatrain train --run-dir \(dir.path) first")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("report.html").path))

        let missing = dir.appendingPathComponent("missing").path
        let noDirectory = #expect(throws: ReportError.self) { try ReportWriter.write(runDirectory: missing) }
        #expect(noDirectory?.description == "no such run directory: \(missing)")
    }
}

/// The SVG chart's contract: data attributes, curves, single points, non-finite values.
@Suite struct SVGChartTests {
    static func chart(_ points: [SVGChart.Point], markers: Bool = false) -> SVGChart {
        SVGChart(key: "loss", title: "Loss & more", xLabel: "iteration", yLabel: "loss",
                 series: [SVGChart.Series(key: "train", name: "training <loss>", points: points, markers: markers)])
    }

    @Test func aCurveIsOnePathThroughEveryPointInsideThePlot() throws {
        let svg = Self.chart([.init(x: 0, y: 1), .init(x: 10, y: 0.5), .init(x: 20, y: 0.25)]).render()
        #expect(svg.hasPrefix("<svg class=\"chart\" data-chart=\"loss\" data-series=\"train\" "))
        #expect(svg.hasSuffix("</svg>\n"))
        #expect(svg.contains("<title>Loss &amp; more</title>"))
        #expect(svg.contains("training &lt;loss&gt;"))
        #expect(!svg.contains("xmlns"))
        let d = try #require(svg.range(of: #"<path class="curve" d="[^"]*""#, options: .regularExpression).map { String(svg[$0]) })
        let numbers = d.dropFirst(#"<path class="curve" d=""#.count).dropLast()
            .split(whereSeparator: { $0 == "M" || $0 == "L" || $0 == " " }).compactMap { Double($0) }
        #expect(numbers.count == 6)
        let xs = stride(from: 0, to: numbers.count, by: 2).map { numbers[$0] }
        let ys = stride(from: 1, to: numbers.count, by: 2).map { numbers[$0] }
        #expect(xs == xs.sorted() && Set(xs).count == 3)
        // A falling loss goes down the page: larger pixel y.
        #expect(ys == ys.sorted())
        #expect(xs.allSatisfy { $0 >= 70 && $0 <= 680 - 20 } && ys.allSatisfy { $0 >= 52 && $0 <= 320 - 50 })
    }

    @Test func aSinglePointIsAFilledCircleAndNonFinitePointsAreLeftOut() {
        let svg = Self.chart([.init(x: 5, y: 2), .init(x: .nan, y: 1), .init(x: 6, y: .infinity)]).render()
        #expect(svg.components(separatedBy: "class=\"curve single-point\"").count - 1 == 1)
        #expect(!svg.contains("<path class=\"curve\" "))
        #expect(!svg.contains("nan") && !svg.contains("inf"))
    }

    @Test func aChartWithoutPointsSaysNoData() {
        let svg = Self.chart([]).render()
        #expect(svg.contains(">no data</text>"))
        #expect(svg.contains("data-series=\"loss\""))
        #expect(!svg.contains("class=\"curve"))
    }
}
