/// One line showing a download's progress: a bar, bytes received of the total, the percentage,
/// the rate and the time left, e.g.
///
///     images_background.zip [##########..........]  4.20 MB / 8.39 MB  50%  2.10 MB/s  ETA 2s
///
/// Without a total (no Content-Length) the bar, percentage and ETA are left out. The rate counts
/// only the bytes of this session (not those a resumed `.part` file already held). Sizes are
/// decimal (1 MB = 10⁶ bytes).
public struct ProgressBar: Sendable {
    /// What is downloaded (the file name).
    public let label: String
    /// Characters of the bar between its brackets.
    public let width: Int

    public init(label: String, width: Int = 20) {
        self.label = label
        self.width = width
    }

    /// The line for `received` bytes of `total` (nil: unknown), `sessionBytes` of them received
    /// in the `elapsed` seconds of this session.
    public func line(received: Int64, total: Int64?, sessionBytes: Int64, elapsed: Double) -> String {
        let rate = elapsed > 0 ? Double(sessionBytes) / elapsed : 0
        var parts = [label]
        if let total, total > 0 {
            let fraction = min(1, max(0, Double(received) / Double(total)))
            let filled = Int((fraction * Double(width)).rounded(.down))
            parts[0] += " [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
            parts.append("\(Self.bytes(received)) / \(Self.bytes(total))")
            parts.append("\(Int((fraction * 100).rounded(.down)))%")
            parts.append("\(Self.bytes(Int64(rate)))/s")
            let left = total - received
            parts.append(left <= 0 ? "done" : rate > 0 ? "ETA \(Self.duration(Double(left) / rate))" : "ETA --")
        } else {
            parts.append(Self.bytes(received))
            parts.append("\(Self.bytes(Int64(rate)))/s")
        }
        return parts.joined(separator: "  ")
    }

    /// `n` bytes with a decimal unit and three significant digits: "950 B", "8.39 MB", "1.20 GB".
    public static func bytes(_ n: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(max(0, n)), unit = 0
        while value >= 999.5 && unit < units.count - 1 { value /= 1000; unit += 1 }
        if unit == 0 { return "\(Int(value)) B" }
        let digits = value < 9.995 ? 2 : value < 99.95 ? 1 : 0
        return formatted(value, digits: digits) + " " + units[unit]
    }

    /// Seconds as "42s", "3m05s" or "2h07m".
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" + two(s % 60) + "s" }
        return "\(s / 3600)h" + two(s % 3600 / 60) + "m"
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    private static func formatted(_ value: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        guard digits > 0 else { return "\(scaled)" }
        let text = String(scaled)
        let padded = String(repeating: "0", count: max(0, digits + 1 - text.count)) + text
        return padded.dropLast(digits) + "." + padded.suffix(digits)
    }
}
