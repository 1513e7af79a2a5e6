import Foundation

/// The HTML page of a ``SearchReport``: fitness against candidates for each method (every
/// candidate as a point, the best so far as a line; ``SVGChart``), a table of each method's
/// best, the fittest genome, and the search configuration. Pure: values in, a `String` out;
/// styled and self-contained as ``ReportPage`` is.
public struct SearchReportPage {
    public let report: SearchReport
    public let directory: String

    public init(report: SearchReport, directory: String) {
        self.report = report
        self.directory = directory
    }

    public var chart: SVGChart {
        var series: [SVGChart.Series] = []
        for (k, m) in report.methods.enumerated() {
            let color = SVGChart.palette[k % SVGChart.palette.count]
            series.append(.init(key: "\(m.name)_fitness", name: "\(m.name): candidate", points: m.candidates.map {
                SVGChart.Point(x: Double($0.index), y: $0.fitness * 100)
            }, style: .points, color: color))
            series.append(.init(key: "\(m.name)_best", name: "\(m.name): best so far",
                                points: zip(m.candidates, SearchReport.bestSoFar(m.candidates)).map {
                                    SVGChart.Point(x: Double($0.0.index), y: $0.1 * 100)
                                }, color: color))
        }
        return SVGChart(key: "search_fitness", title: "Validation accuracy against candidates", xLabel: "candidate",
                        yLabel: "validation accuracy (%)", series: series)
    }

    public var html: String {
        let e = HTML.escape
        let name = URL(fileURLWithPath: directory).lastPathComponent
        var body = "<h1>metatrain search <span class=\"name\">\(e(name))</span></h1>\n<p class=\"path\">\(e(directory))</p>\n"
        if report.skippedLines > 0 {
            body += "<p class=\"note\">\(report.skippedLines) malformed line\(report.skippedLines == 1 ? "" : "s") of candidates.jsonl skipped.</p>\n"
        }
        body += "<h2>Fitness against candidates</h2>\n<div class=\"charts\">\n<figure>\n\(chart.render())</figure>\n</div>\n"
        body += "<h2>Best of each method</h2>\n<table>\n<tr><th>method</th><th>candidates</th><th>best validation accuracy</th><th>at candidate</th></tr>\n"
        for m in report.methods {
            let best = m.candidates.reduce(nil as SearchReport.Candidate?) { b, c in b.map { c.fitness > $0.fitness ? c : $0 } ?? c }
            body += "<tr><td>\(e(m.name))</td><td>\(m.candidates.count)</td><td>"
                + (best.map { String(format: "%.2f %%", $0.fitness * 100) } ?? "–") + "</td><td>" + (best.map { String($0.index) } ?? "–")
                + "</td></tr>\n"
        }
        body += "</table>\n"
        if let b = report.best {
            body += "<h2>Best genome</h2>\n<p>\(e(b.method)) candidate \(b.index), validation accuracy "
                + String(format: "%.2f %%", b.fitness * 100) + " (retrain it: <code>metatrain train --config best.yaml</code>)</p>\n"
            body += "<table class=\"genome\">\n" + b.genome.map { "<tr><th>\(e($0.key))</th><td>\(e($0.value))</td></tr>\n" }.joined() + "</table>\n"
        } else {
            body += "<p class=\"empty\">No candidate recorded yet.</p>\n"
        }
        body += "<h2>Configuration</h2>\n" + (report.config.map { "<pre class=\"config\">\(e($0))</pre>\n" }
                                              ?? "<p class=\"empty\">No search.yaml in the directory.</p>\n")
        return ReportPage.document(title: "metatrain search: \(e(name))", skippedLines: report.skippedLines, body: body)
    }
}
