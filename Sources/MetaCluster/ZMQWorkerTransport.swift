import CZeroMQ
import MetaRuntime
import MetaTransport

/// A worker's ``Transport`` over ZeroMQ: a DEALER socket connected to the coordinator
/// (CURVE when configured), parts limited to ``WireCodec/maxPartBytes``. ``reconnect()``
/// makes a new socket: a new connection, a new routing id, queued messages dropped.
final class ZMQWorkerTransport: Transport {
    private let context = ZMQContext()
    private var socket: ZMQSocket?
    private let endpoint: String
    private let security: WorkerSecurity
    private let wake: [Int32]
    var maxMessageBytes: Int

    init(endpoint: String, security: WorkerSecurity, maxMessageBytes: Int, wake: [Int32]) throws(ZMQError) {
        self.endpoint = endpoint
        self.security = security
        self.maxMessageBytes = maxMessageBytes
        self.wake = wake
        try connect()
    }

    private func connect() throws(ZMQError) {
        let s = try ZMQSocket(context: context, kind: .dealer)
        try security.apply(to: s)
        try s.set(ZMQ_MAXMSGSIZE, int64: Int64(WireCodec.maxPartBytes))
        try s.set(ZMQ_SNDHWM, 64)
        try s.set(ZMQ_RCVHWM, 64)
        try s.set(ZMQ_RECONNECT_IVL, 100)
        try s.set(ZMQ_RECONNECT_IVL_MAX, 5000)
        try s.connect(endpoint)
        socket = s
    }

    func receive(timeout: Double, limit: Int) -> [Inbound] {
        let ready = ZMQSocket.poll(socket.map { [$0] } ?? [], fds: wake, timeoutMilliseconds: Int(max(0, timeout) * 1000))
        guard ready.first == true, let s = socket else { return [] }
        var out: [Inbound] = []
        while out.count < limit {
            var assembler = MessageAssembler(maxBytes: maxMessageBytes)
            guard (try? s.receive(eachPart: { assembler.add($0) })) == true else { break }
            switch assembler.finish() {
            case .success(let frame): out.append(.message(from: [], frame: frame))
            case .failure(let dropped): out.append(.malformed(from: [], reason: dropped.reason))
            }
        }
        return out
    }

    func send(_ frame: [UInt8], to peer: PeerID) -> SendOutcome {
        guard let s = socket else { return .noRoute }
        return SendOutcome(try? s.trySend(WireCodec.parts(of: frame)))
    }

    func reconnect() throws {
        socket?.close()
        socket = nil
        try connect()
    }

    func close(linger: Double) {
        try? socket?.set(ZMQ_LINGER, Int32(max(0, linger) * 1000))
        socket?.close()
        socket = nil
    }
}

extension SendOutcome {
    /// What a ZeroMQ send result means to the event loops (a send that threw: no route).
    init(_ result: ZMQSocket.SendResult?) {
        switch result ?? .noRoute {
        case .sent: self = .sent
        case .wouldBlock: self = .queueFull
        case .noRoute: self = .noRoute
        }
    }
}
