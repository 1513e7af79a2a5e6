import Foundation
import MetaAlgorithms

/// The HTML page of a ``RunReport``: a summary, pictures of held-out tasks with the learner's
/// predictions (``HeldOutExamples``, drawn by ``ExamplesSection``), the learning curves as
/// ``SVGChart``s, the evaluation as a chart and a table, the checkpoints and the configuration.
/// Pure: values in, a `String` out.
///
/// The page references nothing outside itself (a Content-Security-Policy forbids it, too;
/// images are `data:` URIs) and reads fine without JavaScript. Its one inline script is a test
/// hook: after load it counts the curves the browser laid out with a non-zero size into
/// `body[data-rendered-curves]`, the charts with a non-zero size into
/// `body[data-rendered-charts]` and the example images decoded with a non-zero natural size
/// into `body[data-rendered-images]` (Tests/ReportTests dumps the DOM of a headless Chromium
/// to read them).
public struct ReportPage {
    public let report: RunReport
    /// The run directory's path, shown under the title (and its last component the name when
    /// the configuration has none).
    public let runDirectory: String
    /// Held-out tasks and the learner's predictions on them; nil leaves the section out.
    public let examples: HeldOutExamples?

    public init(report: RunReport, runDirectory: String, examples: HeldOutExamples? = nil) {
        self.report = report
        self.runDirectory = runDirectory
        self.examples = examples
    }

    /// The whole page, from `<!DOCTYPE html>` to a final line break.
    public var html: String {
        let name = runName
        var body = "<h1>metatrain run <span class=\"name\">\(esc(name))</span></h1>\n"
        body += "<p class=\"path\">\(esc(runDirectory))</p>\n"
        body += notes
        body += summary
        if let examples { body += ExamplesSection(examples: examples).html }
        body += "<h2>Learning curves</h2>\n"
        let rendered = charts.map { $0.render() }
        if rendered.isEmpty {
            body += "<p class=\"empty\">No metrics recorded: metrics.jsonl has no training or validation records yet.</p>\n"
        } else {
            body += "<div class=\"charts\">\n" + rendered.map { "<figure>\n\($0)</figure>\n" }.joined() + "</div>\n"
        }
        body += evaluationSection
        body += checkpointSection
        body += "<h2>Configuration</h2>\n"
        if let config = report.config {
            body += "<pre class=\"config\">\(esc(config))</pre>\n"
        } else {
            body += "<p class=\"empty\">No config.yaml in the run directory.</p>\n"
        }
        return Self.document(title: "metatrain report: \(esc(name))", skippedLines: report.skippedLines, body: body)
    }

    /// The whole page around `body`: the strict content policy, the shared style and script.
    /// `title` is already escaped; `skippedLines` counts the records the page could not read.
    static func document(title: String, skippedLines: Int, body: String) -> String {
        """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
            <title>\(title)</title>
            <style>\(css)</style>
            </head>
            <body data-skipped-lines="\(skippedLines)">
            \(body)\(script)
            </body>
            </html>

            """
    }

    // MARK: Parts

    /// The configuration's `name:`, else the run directory's name.
    private var runName: String {
        for line in (report.config ?? "").split(separator: "\n") where line.hasPrefix("name:") {
            let value = line.dropFirst(5).trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            if !value.isEmpty { return value }
        }
        return URL(fileURLWithPath: runDirectory).lastPathComponent
    }

    private var notes: String {
        var out = ""
        let skipped = report.skippedLines
        if skipped > 0 {
            out += "<p class=\"warning skipped\">Skipped \(skipped) malformed line\(skipped == 1 ? "" : "s") of metrics.jsonl.</p>\n"
        }
        let resumed = report.resumptions, repeated = report.replacedRecords
        if resumed > 0 || repeated > 0 {
            var note = "The run was resumed"
            if resumed > 0 { note += " \(resumed == 1 ? "once" : "\(resumed) times")" }
            if repeated > 0 {
                note += ": \(repeated) record\(repeated == 1 ? " was" : "s were") repeated for the same iteration and the last of each is shown"
            }
            note += "; wall time adds up the time of every process."
            out += "<p class=\"note resumed\">\(esc(note))</p>\n"
        }
        if let problem = report.evaluationProblem { out += "<p class=\"warning\">\(esc(problem))</p>\n" }
        return out
    }

    private var summary: String {
        var rows: [(String, String)] = []
        if let last = report.training.last {
            rows.append(("iterations trained", "\(last.iteration)"))
            if let loss = last.metaLoss { rows.append(("final meta-loss", Self.number(loss))) }
            if let m = last.trainMetric, let metric = last.metric { rows.append(("final training \(metric)", formatMetric(m))) }
            if let wall = report.training.compactMap(\.wallSeconds).last { rows.append(("training wall time", Self.duration(wall))) }
            let rates = report.training.compactMap(\.tasksPerSecond)
            if !rates.isEmpty { rows.append(("median throughput", "\(Self.number(rates.sorted()[rates.count / 2])) tasks/s")) }
            if let workers = report.training.compactMap(\.workers).max() { rows.append(("workers (most)", "\(workers)")) }
        }
        if let v = report.validation.last {
            rows.append(("last validation \(v.metric ?? "metric")", formatMetric(v.mean, ci95: v.ci95) + " at iteration \(v.iteration)"))
        }
        let checkpoints = report.checkpoints.count
        rows.append(("records", "\(report.training.count) training, \(report.validation.count) validation, "
                     + "\(checkpoints) checkpoint\(checkpoints == 1 ? "" : "s")"))
        rows.append(("malformed lines skipped", "\(report.skippedLines)"))
        return "<table class=\"summary\">\n" + rows.map { "<tr><th>\(esc($0.0))</th><td>\(esc($0.1))</td></tr>\n" }.joined() + "</table>\n"
    }

    /// The learning-curve charts that have at least one point: meta-loss, training and
    /// validation metric, meta-loss against wall time, throughput, workers.
    public var charts: [SVGChart] {
        let t = report.training
        let metric = report.metric ?? "metric"
        let scale = Metric.isFraction(named: metric) ? 100.0 : 1.0
        let metricLabel = Metric.isFraction(named: metric) ? "\(metric) (%)" : metric
        var charts: [SVGChart] = []

        let loss = t.compactMap { p in p.metaLoss.map { SVGChart.Point(x: Double(p.iteration), y: $0) } }
        charts.append(SVGChart(key: "meta_loss", title: "Meta-loss", xLabel: "iteration", yLabel: "meta-loss",
                               series: [.init(key: "meta_loss", name: "meta-loss (query, after adaptation)", points: loss)]))

        let train = t.compactMap { p in p.trainMetric.map { SVGChart.Point(x: Double(p.iteration), y: $0 * scale) } }
        var metricSeries = [SVGChart.Series(key: "train_metric", name: "training \(metric)", points: train)]
        for split in Set(report.validation.map(\.split)).sorted() {
            let points = report.validation.filter { $0.split == split }
            let steps = points.last?.steps.map { " after \($0) step\($0 == 1 ? "" : "s")" } ?? ""
            metricSeries.append(.init(key: split, name: "\(split)\(steps) ± 95% CI",
                                      points: points.map { .init(x: Double($0.iteration), y: $0.mean * scale, error: $0.ci95.map { $0 * scale }) },
                                      markers: true))
        }
        charts.append(SVGChart(key: "metric", title: "Training and validation \(metric)", xLabel: "iteration", yLabel: metricLabel,
                               series: metricSeries))

        let walls = t.compactMap(\.wallSeconds)
        let (unit, divisor) = walls.max().map { $0 > 7200 ? ("h", 3600.0) : $0 > 180 ? ("min", 60.0) : ("s", 1.0) } ?? ("s", 1)
        let byTime = t.compactMap { p -> SVGChart.Point? in
            guard let loss = p.metaLoss, let wall = p.wallSeconds else { return nil }
            return SVGChart.Point(x: wall / divisor, y: loss)
        }
        charts.append(SVGChart(key: "meta_loss_vs_wall_time", title: "Meta-loss against wall time", xLabel: "wall time (\(unit))",
                               yLabel: "meta-loss", series: [.init(key: "meta_loss_vs_wall_time", name: "meta-loss", points: byTime)]))

        let rate = t.compactMap { p in p.tasksPerSecond.map { SVGChart.Point(x: Double(p.iteration), y: $0) } }
        charts.append(SVGChart(key: "tasks_per_second", title: "Throughput", xLabel: "iteration", yLabel: "tasks/s",
                               series: [.init(key: "tasks_per_second", name: "tasks per second (training only)", points: rate)],
                               includeZero: true))

        let workers = t.compactMap { p in p.workers.map { SVGChart.Point(x: Double(p.iteration), y: Double($0)) } }
        charts.append(SVGChart(key: "workers", title: "Workers", xLabel: "iteration", yLabel: "workers",
                               series: [.init(key: "workers", name: "workers connected", points: workers)], includeZero: true,
                               integerTicks: true))

        return charts.filter { $0.series.contains { !$0.points.isEmpty } }
    }

    /// The evaluation metric against inner steps (or presentations) with its 95% interval as a
    /// band; nil without an evaluation.
    public var evaluationChart: SVGChart? {
        guard let e = report.evaluation, !e.steps.isEmpty else { return nil }
        let fraction = Metric.isFraction(named: e.metric)
        let scale = fraction ? 100.0 : 1.0
        let axis = e.axis ?? "inner step"
        let points = e.steps.enumerated().map { k, s in
            SVGChart.Point(x: Double(e.label(k)), y: s.mean * scale, error: s.ci95 * scale)
        }
        return SVGChart(key: "evaluation", title: "Test \(e.metric) against \(axis) (\(e.tasks) tasks)", xLabel: axis,
                        yLabel: fraction ? "\(e.metric) (%)" : e.metric,
                        series: [.init(key: "evaluation", name: "mean ± 95% CI", points: points, markers: true, style: .band)])
    }

    private var evaluationSection: String {
        var out = "<h2>Evaluation</h2>\n"
        guard let e = report.evaluation else {
            return out + "<p class=\"empty\">No evaluation.json: the run has not finished (or was interrupted) before the final evaluation.</p>\n"
        }
        let byPresentation = e.axis == "presentation"
        out += byPresentation
            ? "<p>Held-out test episodes: \(e.tasks); \(esc(e.metric)) of the predictions at the k-th presentation of a class, "
            : "<p>Held-out test tasks: \(e.tasks); \(esc(e.metric)) on the query set after each inner step on the support set, "
        out += "mean ± 95% confidence interval (1.96·σ/√N).</p>\n"
        if let chart = evaluationChart { out += "<div class=\"charts\">\n<figure>\n\(chart.render())</figure>\n</div>\n" }
        out += "<table class=\"evaluation\" data-metric=\"\(esc(e.metric))\">\n<thead><tr><th>\(esc(e.axis ?? "inner step"))</th>"
            + "<th>\(esc(e.metric))</th></tr></thead>\n<tbody>\n"
        for (k, s) in e.steps.enumerated() {
            out += "<tr><td>\(e.label(k))</td><td class=\"num\">\(esc(Self.evaluationCell(metric: e.metric, mean: s.mean, ci95: s.ci95)))</td></tr>\n"
        }
        return out + "</tbody>\n</table>\n"
    }

    /// One evaluation value: "97.25% ± 0.41%" for accuracy, "0.0123 ± 0.0021" otherwise.
    static func evaluationCell(metric: String, mean: Double, ci95: Double) -> String {
        Metric.isFraction(named: metric)
            ? String(format: "%.2f%% ± %.2f%%", mean * 100, ci95 * 100)
            : String(format: "%.4f ± %.4f", mean, ci95)
    }

    private var checkpointSection: String {
        var out = "<h2>Checkpoints</h2>\n"
        guard !report.checkpoints.isEmpty else { return out + "<p class=\"empty\">No checkpoint records.</p>\n" }
        out += "<table class=\"checkpoints\">\n<thead><tr><th>iteration</th><th>file</th><th>training stall</th><th>write time</th>"
            + "<th>size</th><th>written at (wall time)</th></tr></thead>\n<tbody>\n"
        for c in report.checkpoints {
            let missing = "—"
            let stall: String = c.stallSeconds.map(Self.seconds) ?? missing
            let write: String = c.writeSeconds.map(Self.seconds) ?? missing
            let size: String = c.bytes.map(Self.bytes) ?? missing
            let at: String = (c.wallSeconds ?? c.elapsedSeconds).map(Self.duration) ?? missing
            var row = "<tr><td class=\"num\">\(c.iteration)</td><td>\(esc(c.path ?? missing))</td>"
            for cell in [stall, write, size, at] { row += "<td class=\"num\">\(esc(cell))</td>" }
            out += row + "</tr>\n"
        }
        return out + "</tbody>\n</table>\n"
    }

    // MARK: Formatting

    private func formatMetric(_ x: Double, ci95: Double? = nil) -> String {
        let accuracy = Metric.isFraction(named: report.metric ?? "")
        let value = accuracy ? String(format: "%.2f%%", x * 100) : Self.number(x)
        guard let ci95 else { return value }
        return value + " ± " + (accuracy ? String(format: "%.2f%%", ci95 * 100) : Self.number(ci95))
    }

    /// 4 significant digits, without an exponent below a million.
    static func number(_ x: Double) -> String {
        abs(x) >= 1000 && abs(x) < 1e6 ? String(format: "%.0f", x) : String(format: "%.4g", x)
    }

    static func seconds(_ x: Double) -> String { x < 1 ? String(format: "%.0f ms", x * 1000) : String(format: "%.2f s", x) }

    static func duration(_ x: Double) -> String {
        if x < 120 { return String(format: "%.1f s", x) }
        let total = Int(x.rounded())
        return total < 3600 ? "\(total / 60) min \(total % 60) s" : "\(total / 3600) h \(total % 3600 / 60) min"
    }

    static func bytes(_ n: Int) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var x = Double(n), i = 0
        while x >= 1000 && i < units.count - 1 { x /= 1000; i += 1 }
        return i == 0 ? "\(n) B" : String(format: "%.1f", x) + " " + units[i]
    }

    private func esc(_ s: String) -> String { HTML.escape(s) }

    // MARK: Inline style and script

    static let css = """

        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 24px auto; max-width: 1440px; padding: 0 16px; }
        h1 { font-size: 22px; margin: 0 0 4px; } h1 .name { font-family: ui-monospace, monospace; }
        h2 { font-size: 17px; margin: 28px 0 10px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
        .path { color: #666; font-family: ui-monospace, monospace; margin: 0 0 12px; }
        .warning { background: #fff4e0; border-left: 4px solid #e08a1e; padding: 6px 10px; }
        .note { background: #eef4fb; border-left: 4px solid #1f6fb4; padding: 6px 10px; }
        .empty { color: #666; font-style: italic; }
        table { border-collapse: collapse; margin: 8px 0; }
        th, td { padding: 3px 12px; border-bottom: 1px solid #eee; text-align: left; }
        thead th { border-bottom: 2px solid #ccc; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        table.summary th { font-weight: 500; color: #555; }
        .charts { display: flex; flex-wrap: wrap; gap: 12px; }
        figure { margin: 0; border: 1px solid #e5e5e5; border-radius: 4px; padding: 4px; background: #fff; }
        svg.chart { display: block; max-width: 100%; height: auto; font-family: system-ui, sans-serif; }
        .examples { display: flex; flex-wrap: wrap; gap: 12px; }
        figure.classification { padding: 8px; max-width: 680px; }
        figure.classification figcaption { font-weight: 600; margin-bottom: 6px; }
        .set { display: flex; flex-wrap: wrap; gap: 6px; align-items: flex-end; margin-bottom: 8px; }
        .set-name { width: 52px; color: #555; align-self: center; }
        .example-image { display: flex; flex-direction: column; align-items: center; border: 2px solid #ddd; border-radius: 3px; padding: 2px; }
        .example-image img { display: block; image-rendering: pixelated; }
        .example-image .label { font-size: 12px; font-variant-numeric: tabular-nums; }
        .example-image.right { border-color: #2a9d5c; } .example-image.right .label { color: #1d7a45; }
        .example-image.wrong { border-color: #d1495b; background: #fdecee; } .example-image.wrong .label { color: #b02a3c; font-weight: 600; }
        pre.config { background: #f6f6f6; border: 1px solid #e5e5e5; padding: 10px; overflow-x: auto; font-size: 13px; }

        """

    static let script = """
        <script>
        // Test hook (Tests/ReportTests): how many curves and charts the browser laid out with a non-zero size,
        // and how many example images it decoded.
        window.addEventListener("load", function () {
          var curves = document.querySelectorAll("svg.chart .curve"), drawn = 0;
          for (var i = 0; i < curves.length; i++) {
            var box = curves[i].getBBox(), length = curves[i].getTotalLength();
            if ((box.width > 0 || box.height > 0) && length > 0) drawn++;
          }
          var charts = document.querySelectorAll("svg.chart"), shown = 0;
          for (var j = 0; j < charts.length; j++) {
            var r = charts[j].getBoundingClientRect();
            if (r.width > 0 && r.height > 0) shown++;
          }
          var images = document.querySelectorAll("img.example"), decoded = 0;
          for (var k = 0; k < images.length; k++) {
            if (images[k].complete && images[k].naturalWidth > 0 && images[k].naturalHeight > 0) decoded++;
          }
          document.body.dataset.renderedImages = String(decoded);
          document.body.dataset.renderedCurves = String(drawn);
          document.body.dataset.renderedCharts = String(shown);
        });
        </script>
        """
}
