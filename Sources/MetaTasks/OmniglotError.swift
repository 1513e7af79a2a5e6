/// Why the Omniglot data set (or its split) could not be used. `description` is one line
/// naming the path and what was expected.
public struct OmniglotError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// An archive (zip or folder) is absent.
        case missingArchive
        /// A zip archive or one of its entries cannot be read.
        case damagedArchive
        /// The characters found differ from the split's.
        case splitMismatch
        /// A character folder does not hold exactly its 20 drawings.
        case badCharacter
        /// A PNG does not decode, or is not 105×105.
        case badImage
        /// The embedded split table is malformed or fails its checksum.
        case splitTable
        /// The data loads but its content digest is not the one a job or checkpoint expects.
        case otherContent
    }
    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) { self.kind = kind; self.message = message }

    public var description: String { "Omniglot: \(message)" }
}
