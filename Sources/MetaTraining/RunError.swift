import MetaTasks

/// A failure while running a command (not a usage mistake): printed as one line, without
/// the usage text that ArgumentParser adds to validation errors.
///
/// Its ``description`` is the whole message; the command-line tool prints it after `Error: `
/// and exits with status 1.
public struct RunError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }

    /// A task family could not be built: the error plus what to do about missing Omniglot data.
    public static func taskFamily(_ error: Error) -> RunError {
        if let omniglot = error as? OmniglotError, omniglot.kind == .missingArchive {
            return RunError("\(omniglot); run `metatrain data fetch omniglot` (it downloads images_background.zip and "
                            + "images_evaluation.zip into \(OmniglotDataset.defaultDirectory)), or point \(OmniglotDataset.environmentVariable) "
                            + "at the folder that holds them")
        }
        return RunError("\(error)")
    }
}
