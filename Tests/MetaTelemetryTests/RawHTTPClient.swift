import Foundation

/// A TCP client on 127.0.0.1 that does exactly what a test tells it — including the things a
/// well-behaved HTTP client never does (trickle, stall, never read).
final class RawHTTPClient: @unchecked Sendable {
    let fd: Int32

    /// Connects within `seconds`; nil when the connection is not established by then.
    /// - Parameter receiveBuffer: SO_RCVBUF set before connecting (a small one makes a client
    ///   that never reads stall the sender quickly).
    init?(port: Int, receiveBuffer: Int32? = nil, seconds: Double = 5) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let started = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if started != 0 {
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            var error: Int32 = 0, length = socklen_t(MemoryLayout<Int32>.size)
            guard errno == EINPROGRESS, poll(&p, 1, Int32(seconds * 1000)) == 1,
                  getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error == 0 else {
                close(fd)
                return nil
            }
        }
        _ = fcntl(fd, F_SETFL, flags)
    }

    deinit { close(fd) }

    /// Sends all of `bytes`; false when the peer has gone (never raises SIGPIPE).
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            done += n
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads until the peer closes or `seconds` pass: what arrived, and whether the peer closed.
    func readToEnd(seconds: Double = 10) -> (bytes: [UInt8], closed: Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        var bytes = [UInt8](), chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return (bytes, false) }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(left * 1000) + 1) == 1 else { continue }
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { return (bytes, true) }
            bytes += chunk[0..<n]
        }
    }

    /// Whether the peer has closed the connection (EOF or reset), without waiting; discards
    /// any data that is waiting.
    var closedByPeer: Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &chunk, chunk.count, Int32(MSG_DONTWAIT))
            if n > 0 { continue }
            return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)
        }
    }

    /// Whether the peer has reset the connection, found without reading anything (reading
    /// would let a stalled sender go on).
    var resetByPeer: Bool {
        var p = pollfd(fd: fd, events: 0, revents: 0)
        return poll(&p, 1, 0) == 1 && p.revents & Int16(POLLERR | POLLHUP) != 0
    }

    /// One request on a fresh connection: the whole response, or nil when it does not arrive
    /// (complete, peer closed) within `seconds`.
    static func request(port: Int, _ path: String, method: String = "GET", seconds: Double = 10) -> String? {
        guard let client = RawHTTPClient(port: port, seconds: seconds),
              client.send("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: test\r\n\r\n") else { return nil }
        let (bytes, closed) = client.readToEnd(seconds: seconds)
        return closed && !bytes.isEmpty ? String(decoding: bytes, as: UTF8.self) : nil
    }
}

/// A background thread sending one byte each second to every client, until stopped.
final class Trickle: @unchecked Sendable {
    private let lock = NSLock()
    private var running = true
    private let done = DispatchSemaphore(value: 0)

    init(_ clients: [RawHTTPClient], first: String = "GET /health HTTP/1.1\r\nX-Slow: ") {
        let bytes = Array(first.utf8) + Array(repeating: UInt8(ascii: "a"), count: 10_000)
        Thread { [self] in
            var next = 0
            while lock.withLock({ running }) {
                for client in clients { _ = client.send([bytes[next % bytes.count]]) }
                next += 1
                for _ in 0..<10 where lock.withLock({ running }) { usleep(100_000) }
            }
            done.signal()
        }.start()
    }

    func stop() {
        lock.withLock { running = false }
        done.wait()
    }
}

/// Polls `condition` every 50 ms for up to `seconds`.
func eventually(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(50_000)
    }
    return condition()
}
