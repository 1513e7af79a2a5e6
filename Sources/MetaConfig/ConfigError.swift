/// A configuration file that cannot be used: names the key and says what was expected.
///
/// Always one line: a line break inside the message (a quoted value from a YAML block scalar,
/// a parser's multi-line diagnostic) is written as `\n`.
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) {
        self.description = description.contains(where: \.isNewline)
            ? description.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).joined(separator: "\\n")
            : description
    }
}
