import Foundation
import Prometheus

/// Serves a Prometheus registry over HTTP/1.1: `GET /metrics` (text exposition format 0.0.4),
/// `GET /health` (`ok`); `HEAD` on either; 404 for other paths, 405 for other methods, 400 for
/// a malformed request line, 431 for a header block over ``Limits/maxHeaderBytes``. One
/// request per connection (`Connection: close`). Bind `HOST:PORT` (port 0 picks a free one,
/// see ``port``).
///
/// Clients are not trusted to be quick or well-behaved, so one thread runs a poll(2) event
/// loop over non-blocking sockets, each connection with its own buffers and deadline (see
/// ``MetricsHTTPConnection``): a client that trickles its request, never sends one, or never
/// reads its response only ever holds its own connection, never the loop — so `/health`,
/// `/metrics` and the training loop (which only updates the registry) are not delayed by it.
/// Everything a client can make the server hold is bounded: ``Limits/maxConnections``
/// connections (beyond that the oldest is closed to admit the new one — a scraper's
/// connection lives milliseconds, so the oldest is the slow one), each with at most
/// ``Limits/maxHeaderBytes`` of request and one response. A thread per client was rejected
/// because it makes threads (and their stacks) as many as the clients; swift-nio because it
/// adds a large dependency to every build for one small endpoint.
///
/// Writes use `send(MSG_NOSIGNAL)`, so a peer that has gone never raises SIGPIPE; the sockets
/// are close-on-exec, so local worker processes do not inherit the port.
///
/// Threading: `init` starts the loop thread; ``stop()`` may be called from any thread.
public final class MetricsHTTPServer: @unchecked Sendable {
    /// What a client may hold, and for how long.
    public struct Limits: Sendable {
        /// Connections open at once; accepting one more closes the oldest.
        public var maxConnections: Int
        /// The request line and header fields, blank line included; longer gets 431.
        public var maxHeaderBytes: Int
        /// Seconds from accept to the end of the header block, then the connection is reset.
        public var requestDeadline: Double
        /// Seconds to hand the whole response to the kernel, then the connection is reset.
        public var responseDeadline: Double
        /// Seconds to wait for the client to close after the response (discarding what it sends).
        public var lingerDeadline: Double

        public init(maxConnections: Int = 256, maxHeaderBytes: Int = 8192, requestDeadline: Double = 5,
                    responseDeadline: Double = 10, lingerDeadline: Double = 1) {
            self.maxConnections = max(1, maxConnections)
            self.maxHeaderBytes = max(64, maxHeaderBytes)
            self.requestDeadline = requestDeadline
            self.responseDeadline = responseDeadline
            self.lingerDeadline = lingerDeadline
        }
    }

    public let registry: PrometheusCollectorRegistry
    public let limits: Limits
    /// The port actually bound.
    public let port: Int
    private let listener: Int32
    /// A self-pipe: ``stop()`` writes a byte to wake the loop out of poll(2).
    private let wakeRead: Int32, wakeWrite: Int32
    private let lock = NSLock()
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)

    /// Binds `bind` (`HOST:PORT`, IPv4) and starts serving `registry`.
    /// - Throws: ``TelemetryError`` when `bind` is malformed or cannot be bound.
    public init(bind: String, registry: PrometheusCollectorRegistry, limits: Limits = Limits()) throws {
        self.registry = registry
        self.limits = limits
        let parts = bind.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let p = UInt16(parts[1]) else {
            throw TelemetryError("--metrics-bind takes HOST:PORT (e.g. 0.0.0.0:9464), got '\(bind)'")
        }
        let host = parts[0].isEmpty ? "0.0.0.0" : String(parts[0])
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TelemetryError("cannot create the metrics socket: \(String(cString: strerror(errno)))") }
        Self.makeNonBlocking(fd)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = p.bigEndian
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &addr.sin_addr) == 1 else {
            close(fd)
            throw TelemetryError("--metrics-bind: '\(host)' is not an IPv4 address")
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.bind(fd, $0, len) } }
        guard bound == 0, listen(fd, SOMAXCONN) == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw TelemetryError("cannot serve metrics on \(bind): \(why)")
        }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw TelemetryError("cannot serve metrics on \(bind): \(why)")
        }
        pipeEnds.forEach(Self.makeNonBlocking)
        listener = fd
        wakeRead = pipeEnds[0]
        wakeWrite = pipeEnds[1]
        port = Int(UInt16(bigEndian: addr.sin_port))
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "metrics-http"
        thread.start()
    }

    /// Stops serving: closes the listening socket and every open connection, and returns once
    /// they are closed. Safe to call more than once, from any thread.
    public func stop() {
        let first = lock.withLock { () -> Bool in
            defer { stopping = true }
            return !stopping
        }
        if first {
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
        }
        finished.wait()
        finished.signal()  // let any other caller of stop() through as well
    }

    // MARK: The event loop

    private func run() {
        var connections: [MetricsHTTPConnection] = []  // in accept order: the oldest first
        var fds: [pollfd] = []
        var scratch = [UInt8](repeating: 0, count: 64 * 1024)
        var acceptPausedUntil = 0.0
        defer {
            for connection in connections { Self.reset(connection.fd) }
            close(listener)
            close(wakeRead)
            close(wakeWrite)
        }
        while true {
            var now = Self.now()
            fds.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
            fds.append(pollfd(fd: listener, events: now < acceptPausedUntil ? 0 : Int16(POLLIN), revents: 0))
            for connection in connections { fds.append(pollfd(fd: connection.fd, events: connection.events, revents: 0)) }
            let wake = min(connections.map(\.deadline).min() ?? .infinity, acceptPausedUntil > now ? acceptPausedUntil : .infinity, now + 1)
            let timeout = Int32(max(0, ((wake - now) * 1000).rounded(.up)))
            if poll(&fds, nfds_t(fds.count), timeout) < 0 && errno != EINTR { usleep(10_000) }
            if fds[0].revents != 0 { return }

            now = Self.now()
            var kept: [MetricsHTTPConnection] = []
            kept.reserveCapacity(connections.count)
            for (index, var connection) in connections.enumerated() {
                let revents = fds[index + 2].revents
                if revents != 0 && !service(&connection, revents: revents, now: now, scratch: &scratch) {
                    close(connection.fd)
                } else if connection.deadline <= now {
                    // A lingering client has its whole response: a reset could discard what it has not read yet.
                    if connection.phase == .lingering { close(connection.fd) } else { Self.reset(connection.fd) }
                } else {
                    kept.append(connection)
                }
            }
            connections = kept

            // Accept a bounded batch per turn, so a connection flood cannot starve the others.
            if fds[1].revents != 0 {
                for _ in 0..<64 {
                    let fd = accept(listener, nil, nil)
                    if fd < 0 {
                        // Out of descriptors or memory: the listener stays readable, so pause
                        // accepting briefly instead of spinning on it.
                        if [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(errno) { acceptPausedUntil = now + 0.1 }
                        break
                    }
                    Self.makeNonBlocking(fd)
                    if connections.count >= limits.maxConnections { Self.reset(connections.removeFirst().fd) }
                    connections.append(MetricsHTTPConnection(fd: fd, accepted: now, deadline: now + limits.requestDeadline))
                }
            }
        }
    }

    /// Does what `revents` allows on `connection`; false when it is finished and must be closed.
    private func service(_ connection: inout MetricsHTTPConnection, revents: Int16, now: Double, scratch: inout [UInt8]) -> Bool {
        switch connection.phase {
        case .reading:
            let room = limits.maxHeaderBytes - connection.inbox.count
            let n = scratch.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, min(room, $0.count), 0) }
            if n == 0 { return false }
            if n < 0 { return Self.wouldBlock() }
            let searchFrom = max(0, connection.inbox.count - 3)
            connection.inbox += scratch[0..<n]
            if let end = HTTPRequestHead.endOfHeaders(in: connection.inbox, from: searchFrom) {
                connection.respond(response(to: HTTPRequestHead(connection.inbox[..<end])), deadline: now + limits.responseDeadline)
            } else if connection.inbox.count >= limits.maxHeaderBytes {
                connection.respond(Self.encode(status: "431 Request Header Fields Too Large",
                                               body: Array("request header larger than \(limits.maxHeaderBytes) bytes\n".utf8)),
                                   deadline: now + limits.responseDeadline)
            } else {
                return true
            }
            return flush(&connection, now: now)
        case .writing:
            return flush(&connection, now: now)
        case .lingering:
            let n = scratch.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
            return n > 0 || (n < 0 && Self.wouldBlock())
        }
    }

    /// Hands the kernel as much of the response as it takes; once all of it is taken, shuts
    /// down our side and lingers. False on a send error (the peer has gone).
    private func flush(_ connection: inout MetricsHTTPConnection, now: Double) -> Bool {
        while connection.sent < connection.outbox.count {
            let sent = connection.sent
            let n = connection.outbox.withUnsafeBytes {
                Foundation.send(connection.fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n < 0 { return Self.wouldBlock() }
            connection.sent += n
        }
        shutdown(connection.fd, Int32(SHUT_WR))
        connection.phase = .lingering
        connection.outbox = []
        connection.deadline = now + limits.lingerDeadline
        return true
    }

    // MARK: Responses

    /// The whole response to a request head (nil: the request line was malformed).
    func response(to head: HTTPRequestHead?) -> [UInt8] {
        guard let head else { return Self.encode(status: "400 Bad Request", body: Array("malformed request line\n".utf8)) }
        guard head.path == "/metrics" || head.path == "/health" else {
            return Self.encode(status: "404 Not Found", body: Array("try /metrics or /health\n".utf8))
        }
        guard head.method == "GET" || head.method == "HEAD" else {
            return Self.encode(status: "405 Method Not Allowed", extraHeaders: "Allow: GET, HEAD\r\n", body: Array("use GET\n".utf8))
        }
        let isMetrics = head.path == "/metrics"
        return Self.encode(status: "200 OK", type: isMetrics ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8",
                           body: isMetrics ? registry.emitToBuffer() : Array("ok\n".utf8), omitBody: head.method == "HEAD")
    }

    static func encode(status: String, type: String = "text/plain; charset=utf-8", extraHeaders: String = "",
                       body: [UInt8], omitBody: Bool = false) -> [UInt8] {
        let head = "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\n\(extraHeaders)Connection: close\r\n\r\n"
        return omitBody ? Array(head.utf8) : Array(head.utf8) + body
    }

    // MARK: Sockets

    private static func makeNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }

    /// Closes `fd` with a reset rather than a FIN: what the kernel still holds for a client
    /// that stopped reading is dropped at once instead of lingering in an orphaned socket.
    private static func reset(_ fd: Int32) {
        var abortive = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, socklen_t(MemoryLayout<linger>.size))
        close(fd)
    }

    private static func wouldBlock() -> Bool { errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR }

    /// Monotonic seconds.
    private static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// A telemetry set-up failure, one line.
public struct TelemetryError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
