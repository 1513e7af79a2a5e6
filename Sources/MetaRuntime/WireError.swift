/// Why a byte string is not a valid frame of this protocol version. Decoding throws it and
/// never traps, whatever the bytes.
public struct WireError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What is wrong, for the receiver's decision (reject, drop, count).
    public enum Kind: Sendable, Equatable, CaseIterable {
        /// The frame is larger than the receiver's limit, or a length field says it would be.
        case tooLarge
        /// The frame or a field ends before its length says.
        case truncated
        /// The frame does not start with "MTW1".
        case badMagic
        /// The frame is of another protocol version (answer `reject(.protocolVersion)`).
        case unsupportedVersion
        /// The message type byte is not one of ``MessageKind``.
        case unknownMessageType
        /// The reserved flags byte is not 0.
        case badFlags
        /// Bytes are left after the body's last field, or after the checksum.
        case trailingBytes
        /// A string is not valid UTF-8.
        case invalidUTF8
        /// The CRC-32 does not match the frame (damaged in transit).
        case checksumMismatch
        /// A result's loss or metric is NaN or infinite (such a result is rejected).
        case nonFinite
        /// A field has a value outside its domain (an unknown reject reason, an optional
        /// marker other than 0 or 1, a negative duration).
        case invalidValue
    }

    public let kind: Kind
    public let description: String
    /// For ``Kind/unsupportedVersion``: the version the frame declares.
    public let foundVersion: UInt16?

    public init(_ kind: Kind, _ description: String, foundVersion: UInt16? = nil) {
        self.kind = kind
        self.description = description
        self.foundVersion = foundVersion
    }

    /// The reason to give when answering this error with a reject.
    public var rejectReason: RejectReason { kind == .unsupportedVersion ? .protocolVersion : .malformed }
}
