import Foundation

/// The verified facts about one checkpoint, as `metatrain checkpoint inspect` shows them: an
/// aligned text block (``text``), or one JSON object (``json()``) with the keys `file`,
/// `format_version`, `iteration`, `config_sha256`, `parameter_count`, `parameters_sha256`,
/// `verified`, `optimizer` and `optimizer_step` (the last two `null` without optimizer state).
public struct CheckpointSummary: Encodable, Sendable, Equatable {
    /// The path of the file it was read from.
    public var file: String
    public var formatVersion: Int
    /// The next iteration to run.
    public var iteration: Int
    public var configSHA256: String
    /// The parameters' scalar count.
    public var parameterCount: Int
    public var parametersSHA256: String
    /// Always true: a summary is only made of a checkpoint that verified.
    public var verified = true
    /// "adam" or "sgd"; nil without optimizer state.
    public var optimizer: String?
    public var optimizerStep: Int?
    /// The parameters' tensor count (text only).
    public var tensorCount: Int
    /// "NAME, seed N"; nil when the configuration does not parse in this build (text only).
    public var configuration: String?
    /// The size of the stored metrics JSON in bytes, 0 when there are none (text only).
    public var metricsBytes: Int

    enum CodingKeys: String, CodingKey {
        case file, formatVersion = "format_version", iteration, configSHA256 = "config_sha256"
        case parameterCount = "parameter_count", parametersSHA256 = "parameters_sha256", verified
        case optimizer, optimizerStep = "optimizer_step"
    }

    /// The summary of `checkpoint`, read from `file`.
    public init(_ checkpoint: RunCheckpoint, file: URL) {
        self.file = file.path
        formatVersion = Int(checkpoint.formatVersion)
        iteration = checkpoint.iteration
        configSHA256 = checkpoint.configurationSHA256
        parameterCount = checkpoint.parameters.scalarCount
        parametersSHA256 = checkpoint.parametersSHA256
        optimizer = checkpoint.optimizerKind
        optimizerStep = checkpoint.optimizerStep
        tensorCount = checkpoint.parameters.count
        configuration = (try? checkpoint.configuration()).map { "\($0.name), seed \($0.seed)" }
        metricsBytes = checkpoint.metricsJSON.utf8.count
    }

    /// Reads and verifies the checkpoint at `path` (a file, or a run directory's newest
    /// checkpoint that verifies) and summarises it.
    /// - Returns: the summary, and the damaged checkpoints a run directory's search skipped.
    /// - Throws: ``CheckpointError`` in one line: nothing at `path`; a run directory's error as
    ///   it is; a damaged file's error followed by the advice not to resume from it and to
    ///   inspect its run directory instead.
    public static func inspect(path: String) throws -> (summary: CheckpointSummary, skipped: [String]) {
        let url = URL(fileURLWithPath: path)
        let found: FoundCheckpoint
        switch try FoundCheckpoint.kind(of: url) {
        case .runDirectory:
            found = try FoundCheckpoint.newest(inRunDirectory: url)
        case .file:
            // A directory's error already says what to do; a file's gets the way to a good one.
            do { found = try FoundCheckpoint.file(url) } catch let error as CheckpointError {
                throw CheckpointError("\(error); do not resume from it: inspect its run directory to find the newest checkpoint that verifies")
            }
        }
        return (CheckpointSummary(found.checkpoint, file: found.file), found.skipped)
    }

    /// Every JSON key, with `null` for a missing optimizer (the synthesized encoding would omit it).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(file, forKey: .file)
        try c.encode(formatVersion, forKey: .formatVersion)
        try c.encode(iteration, forKey: .iteration)
        try c.encode(configSHA256, forKey: .configSHA256)
        try c.encode(parameterCount, forKey: .parameterCount)
        try c.encode(parametersSHA256, forKey: .parametersSHA256)
        try c.encode(verified, forKey: .verified)
        try c.encode(optimizer, forKey: .optimizer)
        try c.encode(optimizerStep, forKey: .optimizerStep)
    }

    /// One JSON object on one line, keys sorted.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The text block: a header line naming the file, then one aligned line per fact.
    public var text: String {
        let optimizerLine = optimizer.map { "\($0), step \(optimizerStep ?? 0)" } ?? "none (cannot resume training bit-identically)"
        let metrics = metricsBytes == 0 ? "none" : "\(metricsBytes) bytes of JSON"
        return """
            checkpoint \(file): verified, format version \(formatVersion)
              iteration:     \(iteration) (the next to run)
              configuration: \(configuration ?? "does not parse in this build"); sha256 \(configSHA256)
              parameters:    \(tensorCount) tensors, \(parameterCount) scalars; sha256 \(parametersSHA256)
              optimizer:     \(optimizerLine)
              metrics:       \(metrics)
            """
    }
}
