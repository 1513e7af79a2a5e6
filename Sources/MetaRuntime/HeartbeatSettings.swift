/// Heartbeat timing shared by both sides.
public struct HeartbeatSettings: Sendable, Equatable {
    /// Seconds between heartbeats.
    public var interval: Double
    /// Seconds of silence after which the peer counts as lost.
    public var timeout: Double

    public init(interval: Double = 1, timeout: Double = 10) {
        self.interval = interval
        self.timeout = timeout
    }
}
