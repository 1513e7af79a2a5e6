import CZeroMQ
import Foundation

/// A ZeroMQ Authentication Protocol (ZAP, RFC 27) handler that admits CURVE clients whose
/// public key is in an allow-list.
///
/// Without a ZAP handler libzmq accepts any CURVE client key (the connection is encrypted
/// but not authenticated). The handler answers on `inproc://zeromq.zap.01` of `context` from
/// its own thread (it owns its REP socket); start it before the server socket binds, and
/// set `ZMQ_ZAP_DOMAIN` on that socket. A denied client never completes the handshake, so
/// it never sees a single application message. `denied` counts refusals.
public final class ZAPAuthenticator: @unchecked Sendable {
    private let lock = NSLock()
    private var stopping = false
    private var _denied: [String: Int] = [:]
    private var _admitted = 0
    private let done = DispatchSemaphore(value: 0)

    /// Public keys refused so far (Z85), with how often.
    public var denied: [String: Int] { lock.withLock { _denied } }
    /// Handshakes admitted so far.
    public var admitted: Int { lock.withLock { _admitted } }

    /// Binds the handler and starts its thread. Throws if another handler is bound already.
    public init(context: ZMQContext, allowedPublicKeys: Set<String>) throws(ZMQError) {
        let allowed = Set(allowedPublicKeys.compactMap(CurveKeyPair.binary))
        let ready = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var startError: ZMQError?
        let thread = Thread { [self] in
            let socket: ZMQSocket
            do throws(ZMQError) {
                socket = try ZMQSocket(context: context, kind: .rep)
                try socket.bind("inproc://zeromq.zap.01")
            } catch {
                startError = error
                ready.signal()
                done.signal()
                return
            }
            ready.signal()
            serve(socket, allowed: allowed)
            socket.close()
            done.signal()
        }
        thread.name = "zap-handler"
        thread.start()
        ready.wait()
        if let startError { throw startError }
    }

    /// Stops the handler thread and waits for it.
    public func stop() {
        let first = lock.withLock { () -> Bool in
            defer { stopping = true }
            return !stopping
        }
        if first { done.wait() }
    }

    deinit { stop() }

    private func serve(_ socket: ZMQSocket, allowed: Set<[UInt8]>) {
        while !lock.withLock({ stopping }) {
            guard ZMQSocket.poll([socket], timeoutMilliseconds: 100)[0] else { continue }
            guard let request = try? socket.receive() else { continue }
            // version, request id, domain, address, routing id, mechanism, credentials...
            guard request.count >= 6 else { continue }
            let requestID = request[1]
            let mechanism = String(decoding: request[5], as: UTF8.self)
            let key = request.count >= 7 ? request[6] : []
            let ok = mechanism == "CURVE" && allowed.contains(key)
            lock.withLock {
                if ok { _admitted += 1 } else { _denied[CurveKeyPair.z85(key) ?? mechanism, default: 0] += 1 }
            }
            let reply: [[UInt8]] = [Array("1.0".utf8), requestID, Array((ok ? "200" : "400").utf8),
                                    Array((ok ? "OK" : "public key not in the allow-list").utf8),
                                    ok ? Array((CurveKeyPair.z85(key) ?? "").utf8) : [], []]
            _ = try? socket.send(reply, dontWait: false)
        }
    }
}
