/// A data set `metatrain data fetch NAME` can download: its files under a base URL, where its
/// loader reads them, and the content digest that proves a download is the data set.
///
/// Adding one is a file with a static value and a line in ``all``.
public struct DatasetSource: Sendable {
    /// The name on the command line.
    public let name: String
    /// The files, fetched from `<base URL>/<file>` into the data folder under the same names.
    public let files: [String]
    /// Where the files are published (no trailing slash).
    public let defaultBaseURL: String
    /// The content digest the files must have together.
    public let contentDigest: String
    /// This process's data folder: where the loader reads the files, and the default target.
    public let localDirectory: @Sendable () -> String
    /// The content digest of the files at these paths (one per ``files`` entry, in order);
    /// throws a one-line error when they are not readable archives of the data set.
    public let digest: @Sendable (_ paths: [String]) throws -> String

    public init(name: String, files: [String], defaultBaseURL: String, contentDigest: String,
                localDirectory: @escaping @Sendable () -> String, digest: @escaping @Sendable ([String]) throws -> String) {
        self.name = name; self.files = files; self.defaultBaseURL = defaultBaseURL; self.contentDigest = contentDigest
        self.localDirectory = localDirectory; self.digest = digest
    }

    /// Every data set that can be fetched.
    public static let all: [DatasetSource] = [.omniglot]

    /// The data set called `name`.
    public static func named(_ name: String) -> DatasetSource? { all.first { $0.name == name } }
}
