/// Why examples cannot be adapted to: one line that says what is wrong and what to do.
public struct AdaptError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
