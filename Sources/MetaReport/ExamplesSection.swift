/// The report's pictures of ``HeldOutExamples``: for regression one ``SVGChart`` per task
/// with the true function, the support points and the predictions after selected inner steps
/// (as Finn et al. 2017, Figure 2); for image classification one grid per task with the
/// support images and their labels and the query images with the predicted label, marked
/// right or wrong. Pure: a value in, HTML out.
///
/// Contract:
/// - Regression charts have `data-chart="task-INDEX"`; the true function is the series
///   `truth`, the support points `support` (points only), the predictions `step-K`; for a
///   Bayesian learner also the posterior draws `draw-J` (grey) and the central 95 % predictive
///   interval `predictive-95` (a filled band, no curve), drawn first so the curves sit on top.
/// - Images are `<img class="example">` with a `data:image/png` source (nothing outside the
///   page); each sits in a `<div class="example-image">` with `data-label`, and for a query
///   `data-predicted` and the class `right` or `wrong`.
struct ExamplesSection {
    let examples: HeldOutExamples

    /// Where each image is drawn, in CSS pixels per image pixel.
    static let imageScale = 2

    /// The inner steps whose predictions are drawn: all of 0…K up to K = 4, else 0, 1 and
    /// the last three of 2, 5, 10, 20, 50, … and K, so that a chart has at most five curves.
    static func shownSteps(_ k: Int) -> [Int] {
        if k <= 4 { return Array(0...max(k, 0)) }
        // 2, 5, 10, 20, 50, 100, … below K.
        var ladder: [Int] = [], i = 0
        while true {
            var value = [2, 5, 10][i % 3]
            for _ in 0..<(i / 3) { value *= 10 }
            guard value < k else { break }
            ladder.append(value)
            i += 1
        }
        return [0, 1] + Array((ladder + [k]).suffix(3))
    }

    var html: String {
        var out = "<h2>Held-out tasks</h2>\n"
        switch examples.content {
        case .unavailable(let reason):
            return out + "<p class=\"empty examples-unavailable\">\(HTML.escape(reason))</p>\n"
        case .regression(let tasks):
            out += "<p>The first \(tasks.count) test task\(tasks.count == 1 ? "" : "s") of the evaluation: the true function, "
                + "the support points \(HTML.escape(examples.learner)) adapts on (checkpoint of iteration \(examples.iteration)), "
                + "and its predictions before adaptation (step 0, dashed) and after inner steps "
                + "\(Self.shownSteps(examples.steps).dropFirst().map(String.init).joined(separator: ", "))."
            if let first = tasks.first, !first.draws.isEmpty {
                out += " In grey, \(first.draws.count) draws from the posterior after \(examples.steps) steps; shaded, the central 95% "
                    + "interval of the posterior predictive distribution (the draws with the observation noise)."
            }
            out += "</p>\n"
            out += "<div class=\"charts examples\">\n"
            for chart in charts { out += "<figure class=\"example regression\">\n\(chart.render())</figure>\n" }
            return out + "</div>\n"
        case .classification(let tasks):
            let after = examples.steps == 0 ? "" : " after \(examples.steps) inner step\(examples.steps == 1 ? "" : "s")"
            out += "<p>The first \(tasks.count) test task\(tasks.count == 1 ? "" : "s") of the evaluation: the support images "
                + "with their class, and the query images with the class \(HTML.escape(examples.learner)) predicts\(after) "
                + "(checkpoint of iteration \(examples.iteration)), marked right (✓, green) or wrong (✗, red).</p>\n"
            out += "<div class=\"examples\">\n"
            for task in tasks { out += grid(task) }
            return out + "</div>\n"
        }
    }

    /// The regression charts, one per task; none for other content.
    var charts: [SVGChart] {
        guard case .regression(let tasks) = examples.content else { return [] }
        let shown = Self.shownSteps(examples.steps)
        return tasks.map { task in
            var series: [SVGChart.Series] = []
            if let band = task.interval {
                series.append(SVGChart.Series(key: "predictive-95", name: "95% predictive interval",
                                              points: zip(band.x, zip(band.lower, band.upper)).map { x, b in
                                                  SVGChart.Point(x: x, y: (b.0 + b.1) / 2, error: (b.1 - b.0) / 2)
                                              }, style: .area, color: "#1f6fb4"))
            }
            for (j, draw) in task.draws.enumerated() {
                series.append(SVGChart.Series(key: "draw-\(j)", name: j == 0 ? "posterior draws" : "", points: Self.points(draw),
                                              color: "#9aa7b4"))
            }
            series += [
                SVGChart.Series(key: "truth", name: "true", points: Self.points(task.truth), color: "#222"),
                SVGChart.Series(key: "support", name: "support", points: Self.points(task.support), style: .points, color: "#222"),
            ]
            for (i, k) in shown.enumerated() where k < task.predictions.count {
                series.append(SVGChart.Series(key: "step-\(k)", name: "\(k) step\(k == 1 ? "" : "s")",
                                              points: Self.points(task.predictions[k]), style: k == 0 ? .dashed : .line,
                                              color: SVGChart.palette[i % SVGChart.palette.count]))
            }
            return SVGChart(key: "task-\(task.index)", title: "Test task \(task.index): \(task.support.x.count) support points",
                            xLabel: "x", yLabel: "y", series: series)
        }
    }

    private static func points(_ c: HeldOutExamples.Curve) -> [SVGChart.Point] {
        zip(c.x, c.y).map { SVGChart.Point(x: $0, y: $1) }
    }

    private func grid(_ task: HeldOutExamples.ClassificationTask) -> String {
        let right = task.queries.filter { $0.isRight == true }.count
        var out = "<figure class=\"example classification\" data-task=\"\(task.index)\">\n"
        out += "<figcaption>Test task \(task.index): \(right) of \(task.queries.count) queries right</figcaption>\n"
        out += "<div class=\"set support\"><span class=\"set-name\">support</span>\n"
        for e in task.support { out += cell(e, role: "support") }
        out += "</div>\n<div class=\"set query\"><span class=\"set-name\">query</span>\n"
        for e in task.queries { out += cell(e, role: "query") }
        return out + "</div>\n</figure>\n"
    }

    private func cell(_ e: HeldOutExamples.Example, role: String) -> String {
        let w = e.image.width * Self.imageScale, h = e.image.height * Self.imageScale
        let src = (try? PNGEncoder.dataURI(width: e.image.width, height: e.image.height, pixels: e.image.pixels)) ?? ""
        var classes = "example-image", data = "data-label=\"\(e.label)\"", caption = "\(e.label)", alt = "\(role), class \(e.label)"
        if let predicted = e.predicted {
            let right = predicted == e.label
            classes += right ? " right" : " wrong"
            data += " data-predicted=\"\(predicted)\""
            caption = right ? "✓ \(predicted)" : "✗ \(predicted) (is \(e.label))"
            alt += ", predicted \(predicted)"
        }
        return "<div class=\"\(classes)\" \(data)><img class=\"example\" src=\"\(src)\" width=\"\(w)\" height=\"\(h)\" "
            + "alt=\"\(HTML.escape(alt))\"><span class=\"label\">\(HTML.escape(caption))</span></div>\n"
    }
}
