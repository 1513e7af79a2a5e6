/// Why a zip archive could not be read. `description` is one line naming the archive,
/// the entry when there is one, and what is wrong.
public struct ZipArchiveError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The file could not be read at all.
        case unreadable
        /// A record or an entry's data runs past the end of the file.
        case truncated
        /// A record does not start with its signature (or there is no end record).
        case badSignature
        /// An offset points outside the file or the region it must lie in.
        case outOfRange
        /// Two records, or a record and the data, disagree (sizes, counts, names, methods).
        case inconsistent
        /// A valid feature this reader does not implement (zip64, encryption, multi-disk, other methods).
        case unsupported
        /// The data does not match the CRC-32 of the central directory.
        case crcMismatch
        /// zlib rejected the deflate stream.
        case corruptData
    }
    public let kind: Kind
    public let archive: String
    public let entry: String?
    public let message: String

    public init(_ kind: Kind, archive: String, entry: String? = nil, _ message: String) {
        self.kind = kind; self.archive = archive; self.entry = entry; self.message = message
    }

    public var description: String {
        if let entry { return "\(archive): entry \(entry): \(message)" }
        return "\(archive): \(message)"
    }
}
