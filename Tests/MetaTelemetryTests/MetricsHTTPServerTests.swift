import Foundation
import Testing
import Prometheus
import MetaTelemetry

/// The metrics endpoint against real sockets on 127.0.0.1, including clients that are slow,
/// silent, oversized or never read: none of them may stop `/health` and `/metrics` answering.
@Suite struct MetricsHTTPServerTests {
    static func server(_ limits: MetricsHTTPServer.Limits = .init(), gauges: Int = 1) throws -> MetricsHTTPServer {
        let registry = PrometheusCollectorRegistry()
        for i in 0..<gauges {
            registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "test", unitName: "gauge", helpText: "A gauge."), labels: [("index", "\(i)"), ("padding", String(repeating: "p", count: gauges > 1 ? 3000 : 1))])
                .set(Double(i))
        }
        return try MetricsHTTPServer(bind: "127.0.0.1:0", registry: registry, limits: limits)
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    @Test func servesMetricsHealthAndTheHTTPAnswersAScraperExpects() throws {
        let server = try Self.server()
        defer { server.stop() }
        let metrics = try #require(RawHTTPClient.request(port: server.port, "/metrics"))
        #expect(metrics.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(metrics.contains("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"))
        #expect(metrics.contains("test_gauge{"))
        let head = try #require(RawHTTPClient.request(port: server.port, "/metrics", method: "HEAD"))
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n") && head.hasSuffix("\r\n\r\n"))
        let bodyLength = metrics.utf8.count - (metrics.range(of: "\r\n\r\n").map { metrics.utf8.distance(from: metrics.startIndex, to: $0.upperBound) } ?? 0)
        #expect(head.contains("Content-Length: \(bodyLength)\r\n"))
        #expect(RawHTTPClient.request(port: server.port, "/health?probe=1")?.hasSuffix("\r\n\r\nok\n") == true)
        let post = try #require(RawHTTPClient.request(port: server.port, "/metrics", method: "POST"))
        #expect(post.hasPrefix("HTTP/1.1 405 ") && post.contains("\r\nAllow: GET, HEAD\r\n"))
        #expect(RawHTTPClient.request(port: server.port, "/other")?.hasPrefix("HTTP/1.1 404 ") == true)
        let garbage = try #require(RawHTTPClient(port: server.port))
        garbage.send("\u{1}\u{2} nonsense\r\n\r\n")
        #expect(String(decoding: garbage.readToEnd().bytes, as: UTF8.self).hasPrefix("HTTP/1.1 400 "))
    }

    /// 50 clients trickle one byte a second and never finish their header block. Also prints
    /// the median `/health` latency with them connected, against none (a manual figure).
    @Test func slowlorisClientsDoNotDelayHealthOrMetricsAndAreClosedAtTheDeadline() throws {
        let server = try Self.server()
        defer { server.stop() }
        /// 20 sequential `/health` latencies, stopping at the first unanswered one (infinity).
        func healthLatencies() -> [Double] {
            var latencies: [Double] = []
            while latencies.count < 20 && latencies.last?.isFinite != false {
                let start = Date()
                let ok = RawHTTPClient.request(port: server.port, "/health")?.hasSuffix("ok\n") == true
                latencies.append(ok ? Date().timeIntervalSince(start) : .infinity)
            }
            return latencies
        }
        let idle = healthLatencies()
        let connected = Date()
        let slow = (0..<50).compactMap { _ in RawHTTPClient(port: server.port) }
        #expect(slow.count == 50)
        let trickle = Trickle(slow)
        defer { trickle.stop() }
        usleep(1_500_000)
        #expect(slow.allSatisfy { !$0.closedByPeer }, "slow clients closed before the deadline")
        let busy = healthLatencies()
        #expect(busy.allSatisfy { $0.isFinite }, "/health not answered while 50 slow clients are connected")
        #expect(RawHTTPClient.request(port: server.port, "/metrics")?.hasPrefix("HTTP/1.1 200 OK") == true)
        print(String(format: "metrics-http: /health median latency %.3f ms idle, %.3f ms with 50 slowloris clients (20 requests each)",
                     Self.median(idle) * 1000, Self.median(busy) * 1000))
        // The whole-request deadline (5 s from accept) closes them although they keep sending.
        #expect(eventually(seconds: 10) { slow.allSatisfy { $0.closedByPeer } }, "slow clients still open after the deadline")
        #expect(Date().timeIntervalSince(connected) >= server.limits.requestDeadline - 0.5)
        #expect(RawHTTPClient.request(port: server.port, "/health")?.hasSuffix("ok\n") == true)
    }

    @Test func aHeaderLargerThanTheBoundIsRefusedAndTheServerGoesOn() throws {
        let server = try Self.server()
        defer { server.stop() }
        let big = try #require(RawHTTPClient(port: server.port))
        big.send("GET /health HTTP/1.1\r\nX-Big: \(String(repeating: "a", count: 16 * 1024))\r\n\r\n")
        let refused = String(decoding: big.readToEnd().bytes, as: UTF8.self)
        #expect(refused.hasPrefix("HTTP/1.1 431 "), "\(refused.prefix(200))")
        // Just under the bound is still served.
        let near = try #require(RawHTTPClient(port: server.port))
        near.send("GET /health HTTP/1.1\r\nX-Big: \(String(repeating: "a", count: 8000))\r\n\r\n")
        #expect(String(decoding: near.readToEnd().bytes, as: UTF8.self).hasSuffix("\r\n\r\nok\n"))
        #expect(RawHTTPClient.request(port: server.port, "/health")?.hasSuffix("ok\n") == true)
    }

    @Test func aHundredConcurrentRequestsAreAllAnswered() throws {
        let server = try Self.server()
        defer { server.stop() }
        let clients = (0..<100).compactMap { _ in RawHTTPClient(port: server.port) }
        #expect(clients.count == 100)
        for (i, client) in clients.enumerated() { client.send("GET \(i.isMultiple(of: 2) ? "/health" : "/metrics") HTTP/1.1\r\n\r\n") }
        let answered = clients.filter {
            let (bytes, closed) = $0.readToEnd()
            return closed && String(decoding: bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200 OK")
        }
        #expect(answered.count == 100)
    }

    @Test func aClientThatSendsNothingIsClosedAfterTheDeadline() throws {
        let server = try Self.server(.init(requestDeadline: 1.5))
        defer { server.stop() }
        let silent = try #require(RawHTTPClient(port: server.port))
        let connected = Date()
        usleep(500_000)
        #expect(!silent.closedByPeer, "closed before the deadline")
        #expect(eventually(seconds: 8) { silent.closedByPeer })
        #expect(Date().timeIntervalSince(connected) >= 1.4)
    }

    /// A response several times larger than the socket buffers, to a client that never reads.
    @Test func aClientThatNeverReadsALargeResponseDoesNotBlockOthers() throws {
        let server = try Self.server(.init(responseDeadline: 3), gauges: 2000)
        defer { server.stop() }
        let stuck = try #require(RawHTTPClient(port: server.port, receiveBuffer: 4096))
        stuck.send("GET /metrics HTTP/1.1\r\n\r\n")
        usleep(300_000)
        #expect(RawHTTPClient.request(port: server.port, "/health")?.hasSuffix("ok\n") == true)
        let full = try #require(RawHTTPClient.request(port: server.port, "/metrics"))
        #expect(full.hasPrefix("HTTP/1.1 200 OK") && full.contains("index=\"1999\""), "\(full.prefix(300))")
        #expect(full.utf8.count > 4 << 20)
        // Its response deadline closes it; the unsent rest of the response makes that a reset.
        #expect(!stuck.resetByPeer)
        #expect(eventually(seconds: 10) { stuck.resetByPeer })
    }

    @Test func beyondTheConnectionLimitTheOldestConnectionIsClosed() throws {
        let server = try Self.server(.init(maxConnections: 8))
        defer { server.stop() }
        let idle = (0..<8).compactMap { _ in RawHTTPClient(port: server.port) }
        #expect(idle.count == 8)
        usleep(200_000)
        #expect(RawHTTPClient.request(port: server.port, "/health")?.hasSuffix("ok\n") == true)
        #expect(eventually(seconds: 2) { idle[0].closedByPeer })
        #expect(idle.dropFirst().allSatisfy { !$0.closedByPeer })
    }

    @Test func stopClosesTheListenerAndEveryConnection() throws {
        let server = try Self.server()
        let port = server.port
        let idle = (0..<5).compactMap { _ in RawHTTPClient(port: port) }
        let partial = try #require(RawHTTPClient(port: port))
        partial.send("GET /hea")
        #expect(RawHTTPClient.request(port: port, "/health")?.hasSuffix("ok\n") == true)
        usleep(200_000)
        #expect(!partial.closedByPeer)
        server.stop()
        #expect(eventually(seconds: 2) { (idle + [partial]).allSatisfy { $0.closedByPeer } })
        #expect(RawHTTPClient(port: port, seconds: 1) == nil)
        server.stop()  // a second stop is harmless
    }
}
