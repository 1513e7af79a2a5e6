import Foundation
import Prometheus

/// Serves a Prometheus registry over HTTP: `GET /metrics` (text exposition format 0.0.4) and
/// `GET /health`; anything else is 404. One background thread, one request per connection,
/// requests larger than 8 KiB or slower than 2 s are dropped. Bind `HOST:PORT` (port 0 picks
/// a free one, see ``port``).
public final class MetricsHTTPServer: @unchecked Sendable {
    public let registry: PrometheusCollectorRegistry
    /// The port actually bound.
    public private(set) var port: Int = 0
    private let fd: Int32
    private let lock = NSLock()
    private var stopped = false

    public init(bind: String, registry: PrometheusCollectorRegistry) throws {
        self.registry = registry
        let parts = bind.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let p = UInt16(parts[1]) else {
            throw TelemetryError("--metrics-bind takes HOST:PORT (e.g. 0.0.0.0:9464), got '\(bind)'")
        }
        let host = parts[0].isEmpty ? "0.0.0.0" : String(parts[0])
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TelemetryError("cannot create the metrics socket: \(String(cString: strerror(errno)))") }
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
        guard bound == 0, listen(fd, 16) == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw TelemetryError("cannot serve metrics on \(bind): \(why)")
        }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
        let thread = Thread { [self] in serve() }
        thread.name = "metrics-http"
        thread.start()
    }

    /// Stops accepting connections.
    public func stop() {
        lock.withLock { stopped = true }
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func serve() {
        while !lock.withLock({ stopped }) {
            let client = accept(fd, nil, nil)
            if client < 0 { if lock.withLock({ stopped }) { return } else { continue } }
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            respond(client)
            close(client)
        }
    }

    private func respond(_ client: Int32) {
        var request = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1024)
        while request.count < 8192 {
            let n = read(client, &chunk, chunk.count)
            if n <= 0 { break }
            request += chunk[0..<n]
            if request.count >= 4, request.suffix(4) == [13, 10, 13, 10] { break }
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        let parts = line.split(separator: " ")
        let status: String, type: String, body: [UInt8]
        if parts.count >= 2, parts[0] == "GET", parts[1] == "/metrics" {
            status = "200 OK"; type = "text/plain; version=0.0.4; charset=utf-8"; body = registry.emitToBuffer()
        } else if parts.count >= 2, parts[0] == "GET", parts[1] == "/health" {
            status = "200 OK"; type = "text/plain"; body = Array("ok\n".utf8)
        } else {
            status = "404 Not Found"; type = "text/plain"; body = Array("try /metrics\n".utf8)
        }
        let head = "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let out = Array(head.utf8) + body
        var done = 0
        while done < out.count {
            let n = out[done...].withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            done += n
        }
    }
}

/// A telemetry set-up failure, one line.
public struct TelemetryError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
