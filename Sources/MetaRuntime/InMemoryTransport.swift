import Foundation

/// A network of one coordinator and any number of workers in one process, for unit tests of
/// the event loops without sockets (like swift-nio's `EmbeddedChannel`).
///
/// Messages are carried as parts, cut and joined by the same rules as the ZeroMQ transport
/// (``WireCodec/parts(of:)``, ``MessageAssembler``), so a test can also send raw parts, e.g.
/// a message of too many parts. Thread-safe: the coordinator and the workers may run on
/// different threads.
public final class InMemoryNetwork: @unchecked Sendable {
    private let condition = NSCondition()
    private var queues: [PeerID: [(from: PeerID, parts: [[UInt8]])]] = [:]
    private var nextID: UInt32 = 1
    static let coordinatorID: PeerID = [0xC0]

    public init() {}

    /// The coordinator's end.
    public func coordinator() -> InMemoryTransport {
        condition.withLock { queues[Self.coordinatorID] = queues[Self.coordinatorID] ?? [] }
        return InMemoryTransport(network: self, id: Self.coordinatorID, isCoordinator: true)
    }

    /// A new worker connection (a new routing id at the coordinator).
    public func worker() -> InMemoryTransport {
        InMemoryTransport(network: self, id: connect(), isCoordinator: false)
    }

    func connect() -> PeerID {
        condition.withLock {
            let id: PeerID = withUnsafeBytes(of: nextID.bigEndian) { [0x01] + Array($0) }
            nextID += 1
            queues[id] = []
            return id
        }
    }

    func disconnect(_ id: PeerID) {
        condition.withLock { queues[id] = nil }
        condition.broadcast()
    }

    /// Delivers `parts` from `from` to `to`; `.noRoute` when `to` is not connected.
    func deliver(_ parts: [[UInt8]], from: PeerID, to: PeerID) -> SendOutcome {
        condition.lock()
        defer { condition.unlock() }
        guard queues[to] != nil else { return .noRoute }
        queues[to]!.append((from, parts))
        condition.broadcast()
        return .sent
    }

    /// Takes up to `limit` messages for `id`, waiting up to `timeout` seconds for the first.
    func take(for id: PeerID, timeout: Double, limit: Int) -> [(from: PeerID, parts: [[UInt8]])] {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: max(0, timeout))
        while queues[id]?.isEmpty == true, condition.wait(until: deadline) {}
        guard var queue = queues[id], !queue.isEmpty else { return [] }
        let taken = Array(queue.prefix(limit))
        queue.removeFirst(taken.count)
        queues[id] = queue
        return taken
    }
}

/// One end of an ``InMemoryNetwork``: the coordinator's, or one worker's connection.
public final class InMemoryTransport: Transport, @unchecked Sendable {
    private let network: InMemoryNetwork
    private let isCoordinator: Bool
    /// This end's routing id (what the coordinator sees as the worker's ``PeerID``).
    public private(set) var id: PeerID
    public var maxMessageBytes = 1 << 20
    private var closed = false

    init(network: InMemoryNetwork, id: PeerID, isCoordinator: Bool) {
        self.network = network
        self.id = id
        self.isCoordinator = isCoordinator
    }

    public func receive(timeout: Double, limit: Int) -> [Inbound] {
        guard !closed else { return [] }
        return network.take(for: id, timeout: timeout, limit: limit).map { from, parts in
            var assembler = MessageAssembler(maxBytes: maxMessageBytes)
            for part in parts { assembler.add(part) }
            let peer: PeerID = isCoordinator ? from : []
            switch assembler.finish() {
            case .success(let frame): return .message(from: peer, frame: frame)
            case .failure(let dropped): return .malformed(from: peer, reason: dropped.reason)
            }
        }
    }

    public func send(_ frame: [UInt8], to peer: PeerID) -> SendOutcome {
        sendParts(WireCodec.parts(of: frame), to: peer)
    }

    /// Sends raw parts (a test playing a hostile peer).
    public func sendParts(_ parts: [[UInt8]], to peer: PeerID = []) -> SendOutcome {
        guard !closed else { return .noRoute }
        return network.deliver(parts, from: id, to: isCoordinator ? peer : InMemoryNetwork.coordinatorID)
    }

    public func reconnect() throws {
        guard !isCoordinator else { return }
        network.disconnect(id)
        id = network.connect()
    }

    public func close(linger: Double) {
        closed = true
        network.disconnect(id)
    }
}
