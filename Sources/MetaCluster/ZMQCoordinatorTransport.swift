import CZeroMQ
import MetaRuntime
import MetaTransport

/// The coordinator's ``Transport`` over ZeroMQ: a ROUTER socket (`ZMQ_ROUTER_MANDATORY`,
/// parts limited to ``WireCodec/maxPartBytes`` by `ZMQ_MAXMSGSIZE`), CURVE with a ZAP
/// allow-list when configured.
///
/// Messages are read part by part into a ``MessageAssembler``: the routing id first (at most
/// 256 bytes), then at most ``WireCodec/maxParts(maxMessageBytes:)`` parts; the rest of a
/// longer message is read and discarded, never stored. libzmq itself holds a multipart
/// message whole before it can be read, so what a peer can make it buffer is bounded by
/// the part limit times the parts it sends; authentication (CURVE) is what keeps strangers
/// from sending anything at all.
final class ZMQCoordinatorTransport: Transport {
    let socket: ZMQSocket
    private let context: ZMQContext
    private let zap: ZAPAuthenticator?
    private let wake: [Int32]
    var maxMessageBytes: Int
    /// The endpoint actually bound (with the port resolved).
    let endpoint: String

    init(bind: String, security: CoordinatorSecurity, maxMessageBytes: Int, wake: [Int32]) throws(ZMQError) {
        context = ZMQContext()
        self.maxMessageBytes = maxMessageBytes
        self.wake = wake
        let s = try ZMQSocket(context: context, kind: .router)
        try s.set(ZMQ_ROUTER_MANDATORY, 1)
        try s.set(ZMQ_MAXMSGSIZE, int64: Int64(WireCodec.maxPartBytes))
        try s.set(ZMQ_SNDHWM, 256)
        // Per connection: a worker has one result and a few heartbeats in flight at most; a
        // flooding peer is held back by TCP once this many of its messages wait unread.
        try s.set(ZMQ_RCVHWM, 8)
        if case .curve(let server, let allowed) = security {
            guard let secret = server.secretKey else { throw ZMQError(code: EINVAL, "the coordinator's key file has no secret key") }
            zap = try ZAPAuthenticator(context: context, allowedPublicKeys: allowed)
            try s.set(ZMQ_CURVE_SERVER, 1)
            try s.set(ZMQ_CURVE_SECRETKEY, bytes: Array(secret.utf8))
            try s.set(ZMQ_ZAP_DOMAIN, bytes: Array("metatrain".utf8))
        } else {
            zap = nil
        }
        try s.bind(bind)
        socket = s
        endpoint = s.lastEndpoint
    }

    func receive(timeout: Double, limit: Int) -> [Inbound] {
        let ready = ZMQSocket.poll([socket], fds: wake, timeoutMilliseconds: Int(max(0, timeout) * 1000))
        guard ready[0] else { return [] }
        var out: [Inbound] = []
        while out.count < limit {
            var id: PeerID = []
            var parts = 0
            var assembler = MessageAssembler(maxBytes: maxMessageBytes)
            let got = (try? socket.receive(eachPart: { part in
                parts += 1
                if parts == 1 { id = part.count <= 256 ? Array(part) : Array(part.prefix(256)) } else { assembler.add(part) }
            })) ?? false
            guard got else { break }
            if parts < 2 {
                out.append(.malformed(from: id, reason: "a message without a body"))
                continue
            }
            switch assembler.finish() {
            case .success(let frame): out.append(.message(from: id, frame: frame))
            case .failure(let dropped): out.append(.malformed(from: id, reason: dropped.reason))
            }
        }
        return out
    }

    func send(_ frame: [UInt8], to peer: PeerID) -> SendOutcome {
        SendOutcome(try? socket.trySend([peer] + WireCodec.parts(of: frame)))
    }

    func reconnect() throws {}

    func close(linger: Double) {
        try? socket.set(ZMQ_LINGER, Int32(max(0, linger) * 1000))
        socket.close()
        zap?.stop()
    }
}
