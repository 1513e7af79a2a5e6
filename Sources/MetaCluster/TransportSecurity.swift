import CZeroMQ
import MetaTransport

/// How a coordinator secures its socket: plain TCP, or CURVE with an allow-list.
public enum CoordinatorSecurity {
    case plain
    /// CURVE encryption with this server key pair; only workers whose public key is in
    /// `allowedWorkers` complete the handshake (checked by a ``ZAPAuthenticator``).
    case curve(server: CurveKeyPair, allowedWorkers: Set<String>)

    /// Why binding `endpoint` with this security is refused, or nil when it is allowed: plain
    /// TCP on a non-loopback address lets anyone who can reach it join, read the parameters
    /// and send gradients, so it needs `insecure`.
    public func refusal(toBind endpoint: String, insecure: Bool) -> String? {
        guard case .plain = self, !Self.isLocal(endpoint), !insecure else { return nil }
        return "refusing to serve plain TCP on \(endpoint): anyone who can reach it could join, read the parameters "
            + "and send gradients; use --curve-secret and --allow (see 'metatrain keys generate'), bind a "
            + "loopback address, or pass --insecure (METATRAIN_INSECURE=1) on a network you trust"
    }

    /// The warning to log when binding `endpoint` is allowed but open: plain TCP on a
    /// non-loopback address (allowed by `--insecure`); nil otherwise.
    public func warning(forBinding endpoint: String) -> String? {
        guard case .plain = self, !Self.isLocal(endpoint) else { return nil }
        return "warning: \(endpoint) is plain TCP on a non-loopback address (--insecure): anyone who can reach it can join, "
            + "read the job and send results"
    }

    /// Whether `endpoint` can only be reached from this machine (loopback TCP, ipc, inproc).
    public static func isLocal(_ endpoint: String) -> Bool {
        endpoint.hasPrefix("tcp://127.") || endpoint.hasPrefix("tcp://localhost:") || endpoint.hasPrefix("tcp://[::1]")
            || endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://")
    }
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
