import Foundation
import MetaTelemetry

/// Prints training progress: a line rewritten in place on a terminal, plain lines otherwise
/// (logs, CI), at most every `interval` seconds.
///
/// The line reads `iteration D/T  meta-loss L  METRIC M  R tasks/s  [W workers  ]elapsed E  ETA A`,
/// where the ETA extrapolates the iterations done in this process (from `startIteration`) over
/// the time elapsed. Time comes from an injected clock and text goes to an injected output, so
/// the reporter is a pure function of what it is given; by default they are the time since
/// creation and standard output (flushed after every write).
///
/// With the `json` format (`--log-format json`) every update and message is one
/// ``JSONLogLine`` instead, on standard error with the other log lines by default, never
/// rewritten in place nor held back by an interval: a progress line has the label `progress`
/// and the fields `iteration`, `total`, `meta_loss`, `metric` (its name), `train_metric`,
/// `tasks_per_second`, `workers` (distributed runs), `elapsed_seconds` and `eta_seconds`; a
/// message has the label and fields its caller gives.
public final class ProgressReporter {
    /// The iteration count of the whole run.
    public let total: Int
    /// Whether progress lines are rewritten in place (`\r` and erase-line) instead of appended.
    public let isTerminal: Bool
    /// The shortest time between two printed progress lines, in seconds (the last is always printed).
    public let interval: Double
    /// The iteration the run started from (non-zero when resumed), for the ETA.
    public let startIteration: Int
    /// Text lines or JSON objects.
    public let logFormat: LogFormat
    private var lastPrint = -Double.infinity
    private let clock: () -> Double
    private let output: (String) -> Void

    /// - Parameters:
    ///   - total: the run's iteration count.
    ///   - startIteration: the iteration this process started from.
    ///   - logFormat: text lines, or JSON objects (then `isTerminal` and `interval` do not apply).
    ///   - interval: seconds between lines (default: 0.2 on a terminal, 5 otherwise).
    ///   - isTerminal: rewrite the line in place (default: whether standard output is a terminal).
    ///   - clock: seconds elapsed since the run started in this process (default: since this call).
    ///   - output: receives each piece of text, line ends included (default: standard output,
    ///     flushed; standard error for JSON).
    public init(total: Int, startIteration: Int = 0, logFormat: LogFormat = .text, interval: Double? = nil,
                isTerminal: Bool = isatty(STDOUT_FILENO) == 1, clock: (() -> Double)? = nil, output: ((String) -> Void)? = nil) {
        self.total = total
        self.startIteration = startIteration
        let json = logFormat == .json
        self.logFormat = logFormat
        self.isTerminal = !json && isTerminal
        self.interval = json ? 0 : (interval ?? (isTerminal ? 0.2 : 5))
        let start = Date()
        self.clock = clock ?? { Date().timeIntervalSince(start) }
        if let output {
            self.output = output
        } else if json {
            self.output = { FileDescriptorOutput.standardError($0) }
        } else {
            self.output = { ProgressReporter.standardOutput($0) }
        }
    }

    /// Seconds since the run started in this process, by the reporter's clock.
    public var elapsed: Double { clock() }

    /// Reports iteration `done` (1-based) of `total`: prints the progress line unless one was
    /// printed less than ``interval`` seconds ago (always when `force` or `done == total`).
    public func update(done: Int, loss: Double, metricName: String, metric: Double, tasksPerSecond: Double, workers: Int? = nil,
                       force: Bool = false) {
        let now = elapsed
        guard force || now - lastPrint >= interval || done == total else { return }
        lastPrint = now
        let line = Self.line(done: done, total: total, startIteration: startIteration, elapsed: now, loss: loss,
                             metricName: metricName, metric: metric, tasksPerSecond: tasksPerSecond, workers: workers)
        if logFormat == .json {
            var fields: [String: Any] = ["iteration": done, "total": total, "meta_loss": loss, "metric": metricName,
                                         "train_metric": metric, "tasks_per_second": tasksPerSecond, "elapsed_seconds": now,
                                         "eta_seconds": Self.eta(done: done, total: total, startIteration: startIteration, elapsed: now)]
            if let workers { fields["workers"] = workers }
            output(JSONLogLine.encode(label: "progress", message: line, fields: fields))
        } else if isTerminal {
            output("\r\u{1B}[2K" + line + (done == total ? "\n" : ""))
        } else {
            output(line + "\n")
        }
    }

    /// Prints a message on its own line (clearing an in-place progress line first); with the
    /// JSON format, a JSON object with `label` and `fields` besides the text.
    public func message(_ text: String, label: String = "train", fields: [String: Any] = [:]) {
        if logFormat == .json {
            output(JSONLogLine.encode(label: label, message: text, fields: fields))
        } else {
            output((isTerminal ? "\r\u{1B}[2K" : "") + text + "\n")
        }
    }

    /// The progress line for iteration `done` of `total` at `elapsed` seconds into a process
    /// that started at `startIteration` (without a line end).
    public static func line(done: Int, total: Int, startIteration: Int, elapsed: Double, loss: Double, metricName: String,
                            metric: Double, tasksPerSecond: Double, workers: Int?) -> String {
        let left = Self.eta(done: done, total: total, startIteration: startIteration, elapsed: elapsed)
        let shown = workers.map { "\($0) workers  " } ?? ""
        return "iteration \(done)/\(total)  meta-loss \(format(loss, 4))  \(metricName) \(format(metric, 4))  "
            + "\(format(tasksPerSecond, 0)) tasks/s  \(shown)elapsed \(duration(elapsed))  ETA \(duration(left))"
    }

    /// Seconds left: the iterations to go at the rate of those done in this process so far
    /// (0 before any is done).
    public static func eta(done: Int, total: Int, startIteration: Int, elapsed: Double) -> Double {
        let rate = Double(done - startIteration) / max(elapsed, 1e-9)
        return rate > 0 ? Double(total - done) / rate : 0
    }

    /// Writes `text` to standard output and flushes it.
    public static func standardOutput(_ text: String) {
        print(text, terminator: "")
        fflush(nil)
    }
}

/// `x` with `digits` decimals.
func format(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }

/// `1m05s` below an hour, `2h03m` from an hour on (seconds rounded to the nearest).
func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) : String(format: "%dm%02ds", s / 60, s % 60)
}
