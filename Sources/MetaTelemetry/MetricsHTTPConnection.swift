import Foundation

/// One accepted connection of ``MetricsHTTPServer``: its buffers, its phase and the instant by
/// which that phase must end. Owned by the server's event-loop thread only.
///
/// ```
///  accept ──► reading ──(blank line)──► writing ──(all sent; shut down our side)──► lingering ──(peer EOF)──► closed
///               │ header > limit: 431 ──┘   │                                          │
///               └── deadline / EOF ─────────┴── deadline / send error ─────────────────┴── deadline ──────────► closed
/// ```
///
/// A deadline (but lingering's) or an eviction closes with a reset (SO_LINGER 0), so the kernel drops what it
/// still holds for a client that stopped reading instead of keeping an orphaned socket.
///
/// Lingering (reading and discarding until the peer closes, briefly) lets a client that sent
/// more than we read — an oversized header, a body — still see our response instead of a reset.
struct MetricsHTTPConnection {
    enum Phase { case reading, writing, lingering }

    let fd: Int32
    /// When the connection was accepted (monotonic seconds); the oldest is evicted first.
    let accepted: Double
    var phase = Phase.reading
    /// When the current phase must have ended (monotonic seconds).
    var deadline: Double
    /// Bytes of the request head received so far (never more than the header limit).
    var inbox: [UInt8] = []
    /// The response, and how much of it the kernel has taken.
    var outbox: [UInt8] = []
    var sent = 0

    init(fd: Int32, accepted: Double, deadline: Double) {
        self.fd = fd
        self.accepted = accepted
        self.deadline = deadline
    }

    /// The poll(2) events this connection waits for.
    var events: Int16 { Int16(phase == .writing ? POLLOUT : POLLIN) }

    /// Switches to writing `response`, due by `deadline`.
    mutating func respond(_ response: [UInt8], deadline: Double) {
        phase = .writing
        outbox = response
        sent = 0
        inbox = []
        self.deadline = deadline
    }
}
