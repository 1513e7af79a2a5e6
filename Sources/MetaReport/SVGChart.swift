import Foundation

/// A line chart rendered as inline SVG: axes with "nice" ticks (1, 2 or 5 × 10ᵏ), grid lines,
/// axis labels, a title, a legend and one curve per series. Pure: a value in, a `String` out.
///
/// Contract:
/// - The `<svg>` has `class="chart"`, `data-chart` (the chart's key) and `data-series` (the keys
///   of the series that have points, comma-separated, or the chart's key when none has); every
///   curve is a `<path class="curve" …>` in the chart's pixel coordinates. A series with a single
///   point is drawn as a small filled circle (still a `.curve`, so it has a size), never as an
///   invisible zero-length path. A series drawn as points only (``Series/style``) has no
///   `.curve`: each point is a `<circle class="point">`.
/// - A series whose points carry errors draws them as error bars, or as one filled
///   `<path class="band">` from `y − error` to `y + error` (``Series/Style/band``); an
///   ``Series/Style/area`` series is that band alone, without a `.curve`.
/// - A series with an empty name has no legend entry.
/// - Points with a non-finite coordinate are left out.
/// - No `xmlns` and no other URL: the SVG is meant to sit inline in an HTML page.
public struct SVGChart: Sendable {
    /// One data point.
    public struct Point: Sendable, Equatable {
        public var x: Double
        public var y: Double
        /// Half-width of an error bar (a 95% confidence interval), drawn when present.
        public var error: Double?

        public init(x: Double, y: Double, error: Double? = nil) {
            self.x = x; self.y = y; self.error = error
        }
    }

    /// One curve and its legend entry.
    public struct Series: Sendable {
        /// A machine-readable name, listed in the chart's `data-series`.
        public var key: String
        /// The legend's text.
        public var name: String
        public var points: [Point]
        /// Markers at every point (for sparse series such as validation), besides the line.
        public var markers: Bool
        /// How the series is drawn.
        public var style: Style
        /// The colour (CSS), instead of the palette's.
        public var color: String?

        /// How a series is drawn.
        public enum Style: Sendable, Equatable {
            /// A line, with error bars at points that have an error.
            case line
            /// A dashed line, with error bars.
            case dashed
            /// A line with a filled band of the points' errors around it.
            case band
            /// Filled circles at the points, no line.
            case points
            /// Only the filled band of the points' errors around them, no line (an interval).
            case area
        }

        public init(key: String, name: String, points: [Point], markers: Bool = false, style: Style = .line, color: String? = nil) {
            self.key = key
            self.name = name
            self.points = points
            self.markers = markers
            self.style = style
            self.color = color
        }
    }

    /// The chart's `data-chart`, and its `data-series` when no series has a point.
    public var key: String
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// Whether the y axis reaches down (or up) to zero, for quantities like throughput.
    public var includeZero: Bool
    /// Whether y ticks fall on whole numbers only, for counts such as workers.
    public var integerTicks: Bool
    /// Size in pixels (the `viewBox`).
    public var width = 680.0
    public var height = 320.0

    public init(key: String, title: String, xLabel: String, yLabel: String, series: [Series], includeZero: Bool = false,
                integerTicks: Bool = false) {
        self.key = key
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.includeZero = includeZero
        self.integerTicks = integerTicks
    }

    static let palette = ["#1f6fb4", "#d1495b", "#2a9d5c", "#8a5cb8", "#e08a1e"]

    // Plot area margins: the y tick labels on the left, the x label below, title and legend above.
    private let left = 70.0, right = 20.0, top = 52.0, bottom = 50.0

    /// The `<svg>` element, ending with a line break.
    public func render() -> String {
        let visible = series.map { s in
            Series(key: s.key, name: s.name, points: s.points.filter { p in
                p.x.isFinite && p.y.isFinite && (p.error.map { $0.isFinite } ?? true)
            }, markers: s.markers, style: s.style, color: s.color)
        }
        let keys = visible.filter { !$0.points.isEmpty }.map(\.key)
        var out = "<svg class=\"chart\" data-chart=\"\(escape(key))\" data-series=\"\(escape(keys.isEmpty ? key : keys.joined(separator: ",")))\" "
            + "viewBox=\"0 0 \(n(width)) \(n(height))\" width=\"\(n(width))\" height=\"\(n(height))\" "
            + "role=\"img\" aria-label=\"\(escape(title))\">\n"
        out += "<title>\(escape(title))</title>\n"
        out += text(title, x: left, y: 20, attributes: "class=\"chart-title\" font-size=\"15\" font-weight=\"600\"")
        let all = visible.flatMap(\.points)
        guard !all.isEmpty else {
            out += frame()
            out += text("no data", x: left + plotWidth / 2, y: top + plotHeight / 2,
                        attributes: "text-anchor=\"middle\" fill=\"#777\" font-size=\"14\"")
            return out + "</svg>\n"
        }

        var yLow = all.map { $0.y - ($0.error ?? 0) }.min()!, yHigh = all.map { $0.y + ($0.error ?? 0) }.max()!
        if includeZero { yLow = min(yLow, 0); yHigh = max(yHigh, 0) }
        let xAxis = Axis(low: all.map(\.x).min()!, high: all.map(\.x).max()!)
        let yAxis = Axis(low: yLow, high: yHigh, minimumStep: integerTicks ? 1 : 0)
        let sx = { (x: Double) in left + (x - xAxis.low) / (xAxis.high - xAxis.low) * plotWidth }
        let sy = { (y: Double) in top + plotHeight - (y - yAxis.low) / (yAxis.high - yAxis.low) * plotHeight }

        // Grid and ticks.
        out += "<g class=\"grid\" stroke=\"#e3e3e3\" stroke-width=\"1\">\n"
        for t in xAxis.ticks { out += "<line x1=\"\(n(sx(t)))\" y1=\"\(n(top))\" x2=\"\(n(sx(t)))\" y2=\"\(n(top + plotHeight))\"/>\n" }
        for t in yAxis.ticks { out += "<line x1=\"\(n(left))\" y1=\"\(n(sy(t)))\" x2=\"\(n(left + plotWidth))\" y2=\"\(n(sy(t)))\"/>\n" }
        out += "</g>\n"
        out += frame()
        out += "<g class=\"ticks\" font-size=\"11\" fill=\"#333\">\n"
        for t in xAxis.ticks {
            out += "<line x1=\"\(n(sx(t)))\" y1=\"\(n(top + plotHeight))\" x2=\"\(n(sx(t)))\" y2=\"\(n(top + plotHeight + 5))\" stroke=\"#555\"/>\n"
            out += text(xAxis.label(t), x: sx(t), y: top + plotHeight + 18, attributes: "text-anchor=\"middle\"")
        }
        for t in yAxis.ticks {
            out += "<line x1=\"\(n(left - 5))\" y1=\"\(n(sy(t)))\" x2=\"\(n(left))\" y2=\"\(n(sy(t)))\" stroke=\"#555\"/>\n"
            out += text(yAxis.label(t), x: left - 8, y: sy(t) + 4, attributes: "text-anchor=\"end\"")
        }
        out += "</g>\n"
        out += text(xLabel, x: left + plotWidth / 2, y: height - 10, attributes: "class=\"axis-label\" text-anchor=\"middle\" font-size=\"12\"")
        let yMid = top + plotHeight / 2
        out += text(yLabel, x: 16, y: yMid,
                    attributes: "class=\"axis-label\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 16 \(n(yMid)))\"")

        // Curves, then the legend.
        var legendX = left
        for (i, s) in visible.enumerated() where !s.points.isEmpty {
            let color = s.color ?? Self.palette[i % Self.palette.count]
            let pixels = s.points.map { (x: sx($0.x), y: sy($0.y)) }
            out += "<g class=\"series\" data-key=\"\(escape(s.key))\">\n"
            if s.style == .band || s.style == .area, pixels.count > 1 {
                let upper = s.points.map { (x: sx($0.x), y: sy($0.y + ($0.error ?? 0))) }
                let lower = s.points.map { (x: sx($0.x), y: sy($0.y - ($0.error ?? 0))) }.reversed()
                let d = (upper + lower).enumerated().map { j, p in "\(j == 0 ? "M" : "L")\(n(p.x)) \(n(p.y))" }.joined() + "Z"
                out += "<path class=\"band\" d=\"\(d)\" fill=\"\(color)\" fill-opacity=\"0.18\" stroke=\"none\"/>\n"
            } else if s.style != .points {
                for p in s.points {
                    guard let e = p.error, e > 0 else { continue }
                    let x = sx(p.x), y0 = sy(p.y - e), y1 = sy(p.y + e)
                    out += "<path class=\"error-bar\" d=\"M\(n(x)) \(n(y0))V\(n(y1))M\(n(x - 4)) \(n(y0))H\(n(x + 4))M\(n(x - 4)) \(n(y1))H\(n(x + 4))\" "
                        + "stroke=\"\(color)\" stroke-opacity=\"0.6\" stroke-width=\"1.2\" fill=\"none\"/>\n"
                }
            }
            if s.style == .area {
                // The band alone.
            } else if s.style == .points {
                for (p, px) in zip(s.points, pixels) {
                    out += "<circle class=\"point\" cx=\"\(n(px.x))\" cy=\"\(n(px.y))\" r=\"4\" fill=\"\(color)\">"
                        + "<title>\(escape(describe(p, series: s)))</title></circle>\n"
                }
            } else if pixels.count == 1 {
                let p = pixels[0], r = 4.0
                out += "<path class=\"curve single-point\" d=\"M\(n(p.x - r)) \(n(p.y))A\(n(r)) \(n(r)) 0 1 0 \(n(p.x + r)) \(n(p.y))"
                    + "A\(n(r)) \(n(r)) 0 1 0 \(n(p.x - r)) \(n(p.y))Z\" fill=\"\(color)\" stroke=\"\(color)\" stroke-width=\"1\">"
                    + "<title>\(escape(describe(s.points[0], series: s)))</title></path>\n"
            } else {
                let d = pixels.enumerated().map { j, p in "\(j == 0 ? "M" : "L")\(n(p.x)) \(n(p.y))" }.joined()
                let dash = s.style == .dashed ? " stroke-dasharray=\"6 4\"" : ""
                out += "<path class=\"curve\" d=\"\(d)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\"\(dash) "
                    + "stroke-linejoin=\"round\" stroke-linecap=\"round\"/>\n"
                if s.markers {
                    for (p, px) in zip(s.points, pixels) {
                        out += "<circle class=\"marker\" cx=\"\(n(px.x))\" cy=\"\(n(px.y))\" r=\"3\" fill=\"\(color)\">"
                            + "<title>\(escape(describe(p, series: s)))</title></circle>\n"
                    }
                }
            }
            out += "</g>\n"
            // The legend's symbol looks like the series: a dot for points, a dashed stroke, a bar.
            let symbol: String
            switch s.style {
            case .points: symbol = "<circle cx=\"\(n(legendX + 7))\" cy=\"33\" r=\"4\" fill=\"\(color)\"/>"
            case .dashed:
                symbol = "<line x1=\"\(n(legendX))\" y1=\"33\" x2=\"\(n(legendX + 14))\" y2=\"33\" stroke=\"\(color)\" "
                    + "stroke-width=\"2.5\" stroke-dasharray=\"4 2\"/>"
            case .line, .band: symbol = "<rect x=\"\(n(legendX))\" y=\"31\" width=\"14\" height=\"4\" fill=\"\(color)\"/>"
            case .area: symbol = "<rect x=\"\(n(legendX))\" y=\"27\" width=\"14\" height=\"12\" fill=\"\(color)\" fill-opacity=\"0.3\"/>"
            }
            // A series without a name has no legend entry (the second and later of a family of curves).
            if !s.name.isEmpty {
                out += "<g class=\"legend\" font-size=\"12\">" + symbol
                    + text(s.name, x: legendX + 19, y: 37, attributes: "fill=\"#333\"", newline: false) + "</g>\n"
                legendX += 19 + Double(s.name.count) * 7 + 18
            }
        }
        return out + "</svg>\n"
    }

    private var plotWidth: Double { width - left - right }
    private var plotHeight: Double { height - top - bottom }

    private func frame() -> String {
        "<rect class=\"frame\" x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(plotWidth))\" height=\"\(n(plotHeight))\" "
            + "fill=\"none\" stroke=\"#999\" stroke-width=\"1\"/>\n"
    }

    private func describe(_ p: Point, series: Series) -> String {
        var s = "\(series.name): \(xLabel) \(Axis.plain(p.x)), \(Axis.plain(p.y))"
        if let e = p.error { s += " ± \(Axis.plain(e))" }
        return s
    }

    private func text(_ s: String, x: Double, y: Double, attributes: String, newline: Bool = true) -> String {
        "<text x=\"\(n(x))\" y=\"\(n(y))\" \(attributes)>\(escape(s))</text>" + (newline ? "\n" : "")
    }

    /// A pixel coordinate with one decimal.
    private func n(_ x: Double) -> String { String(format: "%.1f", x) }

    private func escape(_ s: String) -> String { HTML.escape(s) }

    /// A linear axis whose ends and ticks are multiples of a nice step (1, 2 or 5 × 10ᵏ).
    struct Axis: Equatable {
        var low: Double
        var high: Double
        var step: Double

        init(low: Double, high: Double, targetTicks: Int = 6, minimumStep: Double = 0) {
            var lo = low, hi = high
            if hi - lo <= abs(hi) * 1e-12 {
                // One value: a window around it, so a single point sits in the middle.
                let pad = lo == 0 ? 1 : abs(lo) * 0.1
                lo -= pad; hi += pad
            }
            step = max(Self.niceStep((hi - lo) / Double(max(targetTicks - 1, 1))), minimumStep)
            self.low = (lo / step).rounded(.down) * step
            self.high = (hi / step).rounded(.up) * step
        }

        var ticks: [Double] {
            let count = Int(((high - low) / step).rounded())
            return (0...count).map { low + Double($0) * step }
        }

        static func niceStep(_ raw: Double) -> Double {
            guard raw > 0, raw.isFinite else { return 1 }
            let magnitude = pow(10, (log10(raw)).rounded(.down))
            let fraction = raw / magnitude
            let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
            return nice * magnitude
        }

        /// A tick's label with as many decimals as the step needs; thousands as "k" from 10 000 on.
        func label(_ v: Double) -> String {
            if abs(v) < step * 1e-9 { return "0" }
            let biggest = max(abs(low), abs(high))
            if biggest >= 10_000 && step >= 100 {
                return Self.fixed(v / 1000, decimals: Self.decimals(step / 1000)) + "k"
            }
            return Self.fixed(v, decimals: Self.decimals(step))
        }

        static func decimals(_ step: Double) -> Int { max(0, Int(-(log10(step)).rounded(.down))) }

        static func fixed(_ v: Double, decimals: Int) -> String {
            let s = String(format: "%.\(decimals)f", v)
            // No "-0" for a tick at zero computed as -0.0000001.
            return s.hasPrefix("-") && Double(s) == 0 ? String(s.dropFirst()) : s
        }

        /// A value in a tooltip: 4 significant digits.
        static func plain(_ v: Double) -> String { String(format: "%.4g", v) }
    }
}
