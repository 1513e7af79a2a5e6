import CZeroMQ

/// One ZeroMQ socket: bind or connect, set options, send and receive multipart messages.
///
/// Thread contract: a socket is not thread-safe. Create it on the thread that uses it and
/// never share it; it is deliberately not `Sendable`. It keeps its ``ZMQContext`` alive and
/// closes itself (with the linger set, 0 by default) when released or ``close()``d.
public final class ZMQSocket {
    public enum Kind: Sendable {
        case router, dealer, pair, rep, req

        var raw: Int32 {
            switch self {
            case .router: ZMQ_ROUTER
            case .dealer: ZMQ_DEALER
            case .pair: ZMQ_PAIR
            case .rep: ZMQ_REP
            case .req: ZMQ_REQ
            }
        }
    }

    public let context: ZMQContext
    public let kind: Kind
    private var handle: UnsafeMutableRawPointer?

    /// A socket of `kind` in `context`, with `ZMQ_LINGER` 0 so closing never blocks.
    public init(context: ZMQContext, kind: Kind) throws(ZMQError) {
        self.context = context
        self.kind = kind
        guard let h = zmq_socket(context.handle, kind.raw) else { throw ZMQError.last("zmq_socket") }
        handle = h
        try set(ZMQ_LINGER, 0)
    }

    deinit { close() }

    /// Closes the socket; further calls fail with ENOTSOCK. Idempotent.
    public func close() {
        if let h = handle { zmq_close(h) }
        handle = nil
    }

    var raw: UnsafeMutableRawPointer? { handle }

    private func live(_ what: String) throws(ZMQError) -> UnsafeMutableRawPointer {
        guard let h = handle else { throw ZMQError(code: ENOTSOCK, "\(what): the socket is closed") }
        return h
    }

    // MARK: Options

    /// Sets an integer option (`ZMQ_LINGER`, `ZMQ_SNDHWM`, `ZMQ_ROUTER_MANDATORY`, ...).
    public func set(_ option: Int32, _ value: Int32) throws(ZMQError) {
        var v = value
        if zmq_setsockopt(try live("setsockopt"), option, &v, MemoryLayout<Int32>.size) != 0 {
            throw ZMQError.last("setsockopt(\(option), \(value))")
        }
    }

    /// Sets a 64-bit integer option (`ZMQ_MAXMSGSIZE`).
    public func set(_ option: Int32, int64 value: Int64) throws(ZMQError) {
        var v = value
        if zmq_setsockopt(try live("setsockopt"), option, &v, MemoryLayout<Int64>.size) != 0 {
            throw ZMQError.last("setsockopt(\(option), \(value))")
        }
    }

    /// Sets a binary or string option (`ZMQ_ROUTING_ID`, `ZMQ_CURVE_*KEY`, `ZMQ_ZAP_DOMAIN`).
    public func set(_ option: Int32, bytes: [UInt8]) throws(ZMQError) {
        let h = try live("setsockopt")
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(h, option, $0.baseAddress, $0.count) }
        if rc != 0 { throw ZMQError.last("setsockopt(\(option), \(bytes.count) bytes)") }
    }

    /// Reads an integer option.
    public func integerOption(_ option: Int32) throws(ZMQError) -> Int32 {
        var v: Int32 = 0
        var size = MemoryLayout<Int32>.size
        if zmq_getsockopt(try live("getsockopt"), option, &v, &size) != 0 { throw ZMQError.last("getsockopt(\(option))") }
        return v
    }

    /// The endpoint the socket last bound or connected to, with the port resolved
    /// (bind to `tcp://127.0.0.1:*` and read the ephemeral port here).
    public var lastEndpoint: String {
        guard let h = handle else { return "" }
        var buffer = [CChar](repeating: 0, count: 512)
        var size = buffer.count
        guard zmq_getsockopt(h, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else { return "" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The file descriptor to poll for readiness (edge-triggered; see `ZMQ_FD`).
    public var events: Int32 { (try? integerOption(ZMQ_EVENTS)) ?? 0 }

    // MARK: Endpoints

    public func bind(_ endpoint: String) throws(ZMQError) {
        if zmq_bind(try live("bind"), endpoint) != 0 { throw ZMQError.last("cannot bind \(endpoint)") }
    }

    public func connect(_ endpoint: String) throws(ZMQError) {
        if zmq_connect(try live("connect"), endpoint) != 0 { throw ZMQError.last("cannot connect to \(endpoint)") }
    }

    // MARK: Messages

    /// Sends `frames` as one multipart message. Returns false instead of throwing when the
    /// message cannot be queued now (`EAGAIN`: high-water mark reached with `dontWait`) or
    /// the ROUTER peer is gone (`EHOSTUNREACH` with `ZMQ_ROUTER_MANDATORY`).
    @discardableResult
    public func send(_ frames: [[UInt8]], dontWait: Bool = true) throws(ZMQError) -> Bool {
        try trySend(frames, dontWait: dontWait) == .sent
    }

    /// What became of a message handed to ``trySend(_:dontWait:)``.
    public enum SendResult: Sendable, Equatable {
        case sent
        /// `EAGAIN`: the high-water mark is reached (with `dontWait`).
        case wouldBlock
        /// `EHOSTUNREACH`: a ROUTER with `ZMQ_ROUTER_MANDATORY` has no route to the peer.
        case noRoute
    }

    /// Sends `frames` as one multipart message and says whether it was queued, or why not.
    public func trySend(_ frames: [[UInt8]], dontWait: Bool = true) throws(ZMQError) -> SendResult {
        let h = try live("send")
        for (i, frame) in frames.enumerated() {
            var flags: Int32 = dontWait ? ZMQ_DONTWAIT : 0
            if i < frames.count - 1 { flags |= ZMQ_SNDMORE }
            let rc = frame.withUnsafeBytes { zmq_send(h, $0.baseAddress, $0.count, flags) }
            if rc < 0 {
                let code = zmq_errno()
                if code == EAGAIN { return .wouldBlock }
                if code == EHOSTUNREACH { return .noRoute }
                throw ZMQError.last("send")
            }
        }
        return .sent
    }

    /// Receives one whole multipart message without waiting; nil when none is queued.
    /// A message larger than `ZMQ_MAXMSGSIZE` never arrives: ZeroMQ drops its sender.
    public func receive() throws(ZMQError) -> [[UInt8]]? {
        var frames: [[UInt8]] = []
        guard try receive(eachPart: { frames.append(Array($0)) }) else { return nil }
        return frames
    }

    /// Receives one whole multipart message without waiting, handing each part to `part` as
    /// it is read, in order, without keeping any (the caller decides what to keep, so a
    /// message of any number of parts costs only what the caller stores). Returns false when
    /// no message is queued.
    public func receive(eachPart part: (UnsafeRawBufferPointer) -> Void) throws(ZMQError) -> Bool {
        let h = try live("receive")
        let message = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        defer { message.deallocate() }
        var first = true
        while true {
            zmq_msg_init(message)
            let rc = zmq_msg_recv(message, h, ZMQ_DONTWAIT)
            if rc < 0 {
                let code = zmq_errno()
                zmq_msg_close(message)
                if (code == EAGAIN || code == EINTR) && first { return false }
                throw ZMQError.last("receive")
            }
            first = false
            part(UnsafeRawBufferPointer(start: zmq_msg_data(message), count: zmq_msg_size(message)))
            let more = zmq_msg_more(message) != 0
            zmq_msg_close(message)
            if !more { return true }
        }
    }

    /// Waits until a message can be received on one of `sockets` (or `timeoutMilliseconds`
    /// pass; -1 waits forever) and returns which are readable. A file descriptor in `fds` is
    /// polled too (e.g. a pipe a compute thread writes to when done); its flag follows the
    /// sockets' in the result.
    public static func poll(_ sockets: [ZMQSocket], fds: [Int32] = [], timeoutMilliseconds: Int) -> [Bool] {
        var items = sockets.map { zmq_pollitem_t(socket: $0.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        items += fds.map { zmq_pollitem_t(socket: nil, fd: $0, events: Int16(ZMQ_POLLIN), revents: 0) }
        let rc = items.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, Int32($0.count), timeoutMilliseconds) }
        guard rc > 0 else { return [Bool](repeating: false, count: items.count) }
        return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 }
    }
}
