import Foundation

/// Prints training progress: a line rewritten in place on a terminal, plain lines otherwise
/// (logs, CI), at most every `interval` seconds.
final class ProgressReporter {
    let total: Int
    let isTerminal = isatty(STDOUT_FILENO) == 1
    let interval: Double
    /// The iteration the run started from (non-zero when resumed), for the ETA.
    let startIteration: Int
    private var lastPrint = -Double.infinity
    private let start = Date()

    init(total: Int, startIteration: Int = 0, interval: Double? = nil) {
        self.total = total
        self.startIteration = startIteration
        self.interval = interval ?? (isatty(STDOUT_FILENO) == 1 ? 0.2 : 5)
    }

    var elapsed: Double { Date().timeIntervalSince(start) }

    /// Reports iteration `done` (1-based) of `total`.
    func update(done: Int, loss: Double, metricName: String, metric: Double, tasksPerSecond: Double, workers: Int? = nil,
                force: Bool = false) {
        let now = elapsed
        guard force || now - lastPrint >= interval || done == total else { return }
        lastPrint = now
        let rate = Double(done - startIteration) / max(now, 1e-9)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let line = "iteration \(done)/\(total)  meta-loss \(format(loss, 4))  \(metricName) \(format(metric, 4))  "
            + "\(format(tasksPerSecond, 0)) tasks/s  " + (workers.map { "\($0) workers  " } ?? "")
            + "elapsed \(duration(now))  ETA \(duration(eta))"
        if isTerminal {
            print("\r\u{1B}[2K" + line, terminator: done == total ? "\n" : "")
        } else {
            print(line)
        }
        fflush(nil)
    }

    /// Prints a message on its own line (clearing an in-place progress line first).
    func message(_ text: String) {
        if isTerminal { print("\r\u{1B}[2K", terminator: "") }
        print(text)
        fflush(nil)
    }
}

func format(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }

func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) : String(format: "%dm%02ds", s / 60, s % 60)
}
