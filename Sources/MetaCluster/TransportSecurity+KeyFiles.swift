import CZeroMQ
import MetaTransport

extension CoordinatorSecurity {
    /// The security that key files give a coordinator: plain TCP without them, else CURVE with
    /// the key pair in `curveSecret` and the workers' public keys in `allow`.
    /// - Parameters:
    ///   - curveSecret: the path of the coordinator's key file (`NAME.key` from `metatrain keys
    ///     generate`), or nil for plain TCP.
    ///   - allow: the allow-list (a directory of `.pub` files, or a file of public keys); given
    ///     exactly when `curveSecret` is.
    /// - Throws: ``ZMQError`` in one line: only one of the two given (`EINVAL`), or the errors of
    ///   ``CurveKeyPair/read(path:)`` (a secret key file open to group or others is `EACCES`)
    ///   and ``CurveKeyPair/allowList(path:)``, the key file's first.
    public static func fromKeyFiles(curveSecret: String?, allow: String?) throws(ZMQError) -> CoordinatorSecurity {
        switch (curveSecret, allow) {
        case (nil, nil):
            return .plain
        case let (secret?, allow?):
            return .curve(server: try CurveKeyPair.read(path: secret), allowedWorkers: try CurveKeyPair.allowList(path: allow))
        default:
            throw ZMQError(code: EINVAL, "--curve-secret and --allow go together")
        }
    }
}

extension WorkerSecurity {
    /// The security that key files give a worker: plain TCP without them, else CURVE with the
    /// key pair in `curveSecret` and the coordinator's public key from `serverKey`.
    /// - Parameters:
    ///   - curveSecret: the path of this worker's key file (`NAME.key`), or nil for plain TCP.
    ///   - serverKey: the path of the coordinator's public key file (`NAME.pub`, or its `.key`:
    ///     only the public key is used); given exactly when `curveSecret` is.
    /// - Throws: ``ZMQError`` in one line: only one of the two given (`EINVAL`), or the errors of
    ///   ``CurveKeyPair/read(path:)`` for either file, the worker's first.
    public static func fromKeyFiles(curveSecret: String?, serverKey: String?) throws(ZMQError) -> WorkerSecurity {
        switch (curveSecret, serverKey) {
        case (nil, nil):
            return .plain
        case let (secret?, server?):
            return .curve(client: try CurveKeyPair.read(path: secret), serverPublicKey: try CurveKeyPair.read(path: server).publicKey)
        default:
            throw ZMQError(code: EINVAL, "--curve-secret and --server-key go together")
        }
    }
}
