/// A report that cannot be written: a missing run directory or metrics file, an unreadable
/// file, an unwritable output. Its ``description`` is one line saying what to do.
public struct ReportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
