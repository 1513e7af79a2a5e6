import MetaChecksum

/// The identity of a training job: the SHA-256 of its configuration YAML, exactly 32 bytes.
///
/// Workers and coordinator compare job hashes rather than configurations, so a worker that
/// rebuilt a job from different YAML (another version, a changed file) is detected at once.
public struct JobHash: Sendable, Hashable, CustomStringConvertible {
    /// The number of bytes of every job hash.
    public static let byteCount = 32

    /// The 32 digest bytes.
    public let bytes: [UInt8]

    /// A job hash from its 32 bytes; nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// The hash of a configuration: SHA-256 of its UTF-8 bytes.
    public init(configurationYAML: String) {
        bytes = SHA256.digest(Array(configurationYAML.utf8))
    }

    /// Lowercase hexadecimal, 64 digits.
    public var description: String {
        bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }
}
