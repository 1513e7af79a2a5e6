import Foundation
import Testing
import MetaTransport
import CZeroMQ

/// Receives one message, polling for at most `seconds` (nil when none arrives).
func receive(_ socket: ZMQSocket, within seconds: Double) throws -> [[UInt8]]? {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if ZMQSocket.poll([socket], timeoutMilliseconds: 50)[0], let m = try socket.receive() { return m }
    }
    return nil
}

@Suite struct RouterDealerTests {
    @Test func aDealerMessageReachesTheRouterWithItsRoutingIDAndTheReplyComesBack() throws {
        let context = ZMQContext()
        let router = try ZMQSocket(context: context, kind: .router)
        try router.set(ZMQ_ROUTER_MANDATORY, 1)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = router.lastEndpoint
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        let dealer = try ZMQSocket(context: context, kind: .dealer)
        try dealer.connect(endpoint)
        #expect(try dealer.send([[1, 2, 3]]))
        let got = try #require(try receive(router, within: 5))
        #expect(got.count == 2 && got[1] == [1, 2, 3])
        #expect(try router.send([got[0], [4, 5]]))
        #expect(try receive(dealer, within: 5) == [[4, 5]])
    }

    @Test func sendingToAnUnknownRoutingIDReportsFalseWithRouterMandatory() throws {
        let context = ZMQContext()
        let router = try ZMQSocket(context: context, kind: .router)
        try router.set(ZMQ_ROUTER_MANDATORY, 1)
        try router.bind("tcp://127.0.0.1:*")
        #expect(try router.send([[9, 9, 9, 9, 9], [1]]) == false)
    }

    @Test func aFrameLargerThanMaxMessageSizeNeverArrives() throws {
        let context = ZMQContext()
        let router = try ZMQSocket(context: context, kind: .router)
        try router.set(ZMQ_MAXMSGSIZE, int64: 1000)
        try router.bind("tcp://127.0.0.1:*")
        let dealer = try ZMQSocket(context: context, kind: .dealer)
        try dealer.connect(router.lastEndpoint)
        try dealer.send([[UInt8](repeating: 7, count: 5000)])
        try dealer.send([[1]])  // the oversized frame drops the connection; this one may be lost too
        let got = try receive(router, within: 1)
        #expect(got == nil || got?[1] == [1])
    }

    @Test func pollReportsAReadablePipe() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        #expect(ZMQSocket.poll([], fds: [fds[0]], timeoutMilliseconds: 0) == [false])
        var byte: UInt8 = 1
        #expect(write(fds[1], &byte, 1) == 1)
        #expect(ZMQSocket.poll([], fds: [fds[0]], timeoutMilliseconds: 1000) == [true])
    }
}

@Suite struct CurveTests {
    func server(_ context: ZMQContext, _ keys: CurveKeyPair) throws -> ZMQSocket {
        let router = try ZMQSocket(context: context, kind: .router)
        try router.set(ZMQ_CURVE_SERVER, 1)
        try router.set(ZMQ_CURVE_SECRETKEY, bytes: Array(keys.secretKey!.utf8))
        try router.set(ZMQ_ZAP_DOMAIN, bytes: Array("metatrain".utf8))
        try router.bind("tcp://127.0.0.1:*")
        return router
    }

    func client(_ context: ZMQContext, _ keys: CurveKeyPair, server: CurveKeyPair, endpoint: String) throws -> ZMQSocket {
        let dealer = try ZMQSocket(context: context, kind: .dealer)
        try dealer.set(ZMQ_CURVE_SERVERKEY, bytes: Array(server.publicKey.utf8))
        try dealer.set(ZMQ_CURVE_PUBLICKEY, bytes: Array(keys.publicKey.utf8))
        try dealer.set(ZMQ_CURVE_SECRETKEY, bytes: Array(keys.secretKey!.utf8))
        try dealer.connect(endpoint)
        return dealer
    }

    @Test func generatedKeysAreZ85AndRoundTripThroughTheFileFormat() throws {
        let keys = try CurveKeyPair.generate()
        #expect(keys.publicKey.count == 40 && keys.secretKey?.count == 40)
        #expect(try CurveKeyPair.parse(keys.fileText(includingSecret: true), name: "k") == keys)
        let pub = try CurveKeyPair.parse(keys.fileText(includingSecret: false), name: "k")
        #expect(pub.publicKey == keys.publicKey && pub.secretKey == nil)
        #expect(CurveKeyPair.z85(CurveKeyPair.binary(keys.publicKey)!) == keys.publicKey)
        #expect(throws: ZMQError.self) { try CurveKeyPair.parse("public-key = short\n", name: "bad.pub") }
    }

    @Test func aListedClientIsAdmittedAndAnUnlistedOneNeverGetsAMessageThrough() throws {
        let context = ZMQContext()
        let serverKeys = try CurveKeyPair.generate(), good = try CurveKeyPair.generate(), bad = try CurveKeyPair.generate()
        let zap = try ZAPAuthenticator(context: context, allowedPublicKeys: [good.publicKey])
        defer { zap.stop() }
        let router = try server(context, serverKeys)
        let endpoint = router.lastEndpoint

        let listed = try client(context, good, server: serverKeys, endpoint: endpoint)
        try listed.send([[42]])
        let got = try #require(try receive(router, within: 5))
        #expect(got[1] == [42])

        let unlisted = try client(context, bad, server: serverKeys, endpoint: endpoint)
        try unlisted.send([[13]])
        #expect(try receive(router, within: 1.5) == nil)
        #expect(zap.denied[bad.publicKey, default: 0] >= 1)
        #expect(zap.admitted >= 1)
    }

    @Test func anAllowListReadsADirectoryOfPublicKeyFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("allow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try CurveKeyPair.generate(), b = try CurveKeyPair.generate()
        try a.fileText(includingSecret: false).write(to: dir.appendingPathComponent("a.pub"), atomically: true, encoding: .utf8)
        try b.fileText(includingSecret: false).write(to: dir.appendingPathComponent("b.pub"), atomically: true, encoding: .utf8)
        #expect(try CurveKeyPair.allowList(path: dir.path) == [a.publicKey, b.publicKey])
        let list = dir.appendingPathComponent("keys.txt")
        try "# workers\n\(a.publicKey)\n".write(to: list, atomically: true, encoding: .utf8)
        #expect(try CurveKeyPair.allowList(path: list.path) == [a.publicKey])
    }
}
