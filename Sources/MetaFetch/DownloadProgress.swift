import Foundation

/// Draws one file's ``ProgressBar`` on a file descriptor (standard error).
///
/// On a terminal the line is redrawn in place (`\r`) at most ten times a second; elsewhere (a
/// log file, a pipe) only the final line is written, so logs hold no control characters. Every
/// display ends with the final line and a newline (``finish(received:total:from:)``).
public final class DownloadProgress: @unchecked Sendable {
    private let bar: ProgressBar
    private let fd: Int32
    private let redraws: Bool
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private var lastDraw: ContinuousClock.Instant?
    private var lastWidth = 0

    /// - Parameters:
    ///   - fd: where to draw (2: standard error).
    ///   - redraws: redraw in place; nil: when `fd` is a terminal.
    public init(label: String, fd: Int32 = 2, redraws: Bool? = nil) {
        bar = ProgressBar(label: label)
        self.fd = fd
        self.redraws = redraws ?? (isatty(fd) == 1)
        start = clock.now
    }

    /// `received` bytes of `total` are in the file; this session started at byte `from`.
    public func update(received: Int64, total: Int64?, from: Int64) {
        guard redraws else { return }
        let now = clock.now
        if let lastDraw, now - lastDraw < .milliseconds(100) { return }
        lastDraw = now
        draw(received: received, total: total, from: from, end: "")
    }

    /// Writes the final line.
    public func finish(received: Int64, total: Int64?, from: Int64) {
        draw(received: received, total: total, from: from, end: "\n")
    }

    private func draw(received: Int64, total: Int64?, from: Int64, end: String) {
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let line = bar.line(received: received, total: total, sessionBytes: received - from, elapsed: seconds)
        // Pad over a longer previous line when redrawing in place.
        let padding = String(repeating: " ", count: max(0, lastWidth - line.count))
        lastWidth = line.count
        let text = (redraws ? "\r" : "") + line + padding + end
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            done += n
        }
    }
}
