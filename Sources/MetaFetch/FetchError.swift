/// Why `metatrain data fetch` stopped: one line that says what is wrong and what to do.
public struct FetchError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
