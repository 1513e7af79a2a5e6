import Foundation

/// Log lines about peers, at most one per peer per interval (a minute by default).
///
/// Garbage on a socket must not flood the log: the first line about a peer is printed, then
/// the lines of the next `interval` are counted and summarised in the next printed line
/// ("… (12 similar lines suppressed)"). Bounded memory: peers not heard of for an interval
/// are forgotten once more than `maxPeers` are tracked.
public struct PeerLog {
    public let interval: Double
    public let maxPeers: Int
    private var last: [String: (time: Double, suppressed: Int)] = [:]
    private let write: (String) -> Void

    public init(interval: Double = 60, maxPeers: Int = 4096, write: @escaping (String) -> Void) {
        self.interval = interval
        self.maxPeers = maxPeers
        self.write = write
    }

    /// Prints `line` about `peer` now (`now` in seconds, monotonic), unless a line about the
    /// same peer was printed less than `interval` ago. Returns whether it printed.
    @discardableResult
    public mutating func log(_ line: String, peer: String, now: Double) -> Bool {
        if let entry = last[peer], now - entry.time < interval {
            last[peer] = (entry.time, entry.suppressed + 1)
            return false
        }
        let suppressed = last[peer]?.suppressed ?? 0
        write(line + (suppressed > 0 ? " (\(suppressed) similar line(s) about this peer suppressed)" : ""))
        last[peer] = (now, 0)
        if last.count > maxPeers { last = last.filter { now - $0.value.time < interval } }
        return true
    }
}
