import CZeroMQ
import MetaTransport

/// How a coordinator secures its socket: plain TCP, or CURVE with an allow-list.
public enum CoordinatorSecurity {
    case plain
    /// CURVE encryption with this server key pair; only workers whose public key is in
    /// `allowedWorkers` complete the handshake (checked by a ``ZAPAuthenticator``).
    case curve(server: CurveKeyPair, allowedWorkers: Set<String>)
}

/// How a worker secures its connection: plain TCP, or CURVE with its own key pair and the
/// coordinator's public key.
public enum WorkerSecurity {
    case plain
    case curve(client: CurveKeyPair, serverPublicKey: String)

    func apply(to socket: ZMQSocket) throws(ZMQError) {
        guard case .curve(let client, let server) = self else { return }
        guard let secret = client.secretKey else { throw ZMQError(code: EINVAL, "the worker's key file has no secret key") }
        try socket.set(ZMQ_CURVE_SERVERKEY, bytes: Array(server.utf8))
        try socket.set(ZMQ_CURVE_PUBLICKEY, bytes: Array(client.publicKey.utf8))
        try socket.set(ZMQ_CURVE_SECRETKEY, bytes: Array(secret.utf8))
    }
}
