/// A peer's address on a ``Transport``: a ZeroMQ ROUTER routing id at the coordinator; empty
/// for a worker's one connection.
public typealias PeerID = [UInt8]

/// What a ``Transport`` read: a whole message, or a message it dropped while reading it.
public enum Inbound: Sendable, Equatable {
    /// A message from `peer`, its parts joined into one frame (not yet decoded).
    case message(from: PeerID, frame: [UInt8])
    /// A message from `peer` that broke the framing rules (more parts than the protocol
    /// allows, a part or a whole larger than the limits): dropped while being read, its
    /// parts never kept.
    case malformed(from: PeerID, reason: String)
}

/// Whether a message left.
public enum SendOutcome: Sendable, Equatable {
    /// Queued for the peer.
    case sent
    /// The peer's connection is gone (a ROUTER has no route to it): nothing more can reach it.
    case noRoute
    /// The peer's queue is full (high-water mark): the message was not queued.
    case queueFull
}

/// The seam between the event loops (`Coordinator`, `Worker`) and the bytes: ZeroMQ in
/// `MetaCluster`, ``InMemoryTransport`` in unit tests.
///
/// A transport moves whole frames (``WireCodec`` bytes); it cuts them into parts
/// (``WireCodec/parts(of:)``) and joins them again with a ``MessageAssembler``, so its
/// memory per message is bounded by ``maxMessageBytes`` whatever a peer sends. It decides
/// nothing about the protocol. Not thread-safe: one event loop owns it.
public protocol Transport: AnyObject {
    /// Waits up to `timeout` seconds until something can be read (or a wake-up file
    /// descriptor given to the transport becomes readable), then returns at most `limit`
    /// messages that arrived, oldest first. Never blocks longer than `timeout`.
    func receive(timeout: Double, limit: Int) -> [Inbound]
    /// Queues `frame` for `peer` (ignored by a worker's transport, which has one peer).
    func send(_ frame: [UInt8], to peer: PeerID) -> SendOutcome
    /// The largest whole message accepted; longer ones arrive as ``Inbound/malformed(from:reason:)``.
    var maxMessageBytes: Int { get set }
    /// Drops the connection and opens a new one (a worker's transport: new routing id at the
    /// coordinator, queued messages discarded). A coordinator's transport does nothing.
    func reconnect() throws
    /// Closes the transport after trying for up to `linger` seconds to deliver what is queued.
    func close(linger: Double)
}

/// Joins the parts of one message, keeping none beyond the limits.
///
/// Pure: a transport feeds it the parts as it reads them, one at a time, and ``finish()``
/// gives the frame or why it was dropped. After the first violation the remaining parts are
/// only counted, never stored, so a message of any number of parts costs at most
/// `maxBytes` of memory here.
public struct MessageAssembler: Sendable {
    public let maxParts: Int
    public let maxPartBytes: Int
    public let maxBytes: Int
    private var frame: [UInt8] = []
    private var count = 0
    private var failure: String?

    public init(maxBytes: Int, maxParts: Int? = nil, maxPartBytes: Int = WireCodec.maxPartBytes) {
        self.maxBytes = maxBytes
        self.maxParts = maxParts ?? WireCodec.maxParts(maxMessageBytes: maxBytes)
        self.maxPartBytes = maxPartBytes
    }

    /// Adds the next part.
    public mutating func add(_ part: UnsafeRawBufferPointer) {
        count += 1
        guard failure == nil else { return }
        if count > maxParts {
            failure = "a message of more than \(maxParts) parts"
        } else if part.count > maxPartBytes {
            failure = "a part of \(part.count) bytes (the limit is \(maxPartBytes))"
        } else if frame.count + part.count > maxBytes {
            failure = "a message of more than \(maxBytes) bytes"
        } else {
            frame.append(contentsOf: part)
            return
        }
        frame = []
    }

    /// Adds the next part.
    public mutating func add(_ part: [UInt8]) { part.withUnsafeBytes { add($0) } }

    /// The parts joined, or the reason the message was dropped (with its part count).
    public func finish() -> Result<[UInt8], MessageDropped> {
        if let failure { return .failure(MessageDropped(reason: "\(failure); \(count) parts dropped")) }
        if count == 0 { return .failure(MessageDropped(reason: "an empty message")) }
        return .success(frame)
    }
}

/// Why a message was dropped while being read.
public struct MessageDropped: Error, Sendable, Equatable {
    public let reason: String
}
