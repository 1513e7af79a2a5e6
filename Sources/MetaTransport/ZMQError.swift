import CZeroMQ

/// A failed ZeroMQ call: the operation, the endpoint or option involved, and `zmq_strerror`.
public struct ZMQError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The `errno` value ZeroMQ reported.
    public let code: Int32
    public let description: String

    public init(code: Int32, _ description: String) {
        self.code = code
        self.description = description
    }

    /// The error of the call that just failed, described as `what`.
    static func last(_ what: String) -> ZMQError {
        let code = zmq_errno()
        return ZMQError(code: code, "\(what): \(String(cString: zmq_strerror(code)))")
    }
}
