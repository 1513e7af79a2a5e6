/// Time an event loop did not run: a SIGSTOP, a VM pause, a laptop sleep, or a long
/// synchronous step (a validation, building a job).
///
/// Nothing arrives while a process is not listening, so that time is no evidence that a peer
/// went silent. The coordinator and the worker measure it once per pass of their event loop,
/// right before checking their peers' silence, and credit it to the peers' silence clocks,
/// instead of declaring every peer lost the moment they run again (a peer that really is gone
/// is still found after a heartbeat timeout of listening).
public struct LoopStall: Sendable {
    /// Longer gaps than this (seconds) count as a stall; shorter ones are the loop's own work.
    public let threshold: Double
    private var lastWake: Double?

    public init(threshold: Double) { self.threshold = threshold }

    /// Call once per loop pass, at `now` (monotonic seconds), with `maxWait` the longest the
    /// pass meant to wait (its poll timeout): returns how long the loop was stalled since the
    /// previous call beyond that wait, or 0 when that is within the threshold.
    public mutating func stalled(now: Double, maxWait: Double) -> Double {
        defer { lastWake = now }
        guard let lastWake else { return 0 }
        let stall = now - lastWake - maxWait
        return stall > threshold ? stall : 0
    }
}
