/// A search that cannot go on, as one line saying what is wrong and what to do.
public struct SearchError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
