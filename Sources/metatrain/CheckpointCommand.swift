import ArgumentParser
import Foundation
import MetaCheckpoint
import MetaTelemetry
import MetaTraining

/// `metatrain checkpoint …`: tools for run checkpoints.
struct CheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Inspect run checkpoints.",
        subcommands: [Inspect.self])

    /// `metatrain checkpoint inspect FILE|DIR [--json]`: verifies a checkpoint and summarises it.
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inspect",
            abstract: "Verify a checkpoint and print its iteration, hashes and optimizer state.",
            discussion: """
                Given a run directory, inspects its newest checkpoint that verifies and reports the damaged \
                ones it skipped on standard error. A damaged file exits with status 1 and one line saying why.
                """)

        @Argument(help: "A checkpoint file, or a run directory.")
        var path: String

        @Flag(name: .long, help: """
            Print one JSON object: iteration, config_sha256, parameter_count, parameters_sha256, verified, \
            file, format_version, optimizer, optimizer_step.
            """)
        var json = false

        func run() throws {
            let url = URL(fileURLWithPath: path)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
                throw RunError("no such checkpoint file or run directory: \(url.path)")
            }
            let checkpoint: RunCheckpoint
            let file: URL
            do {
                if isDirectory.boolValue {
                    let found = try RunCheckpoint.newest(in: url)
                    for s in found.skipped { FileDescriptorOutput.standardError("warning: skipped \(s)\n") }
                    (checkpoint, file) = (found.checkpoint, found.url)
                } else {
                    (checkpoint, file) = (try RunCheckpoint.read(from: url), url)
                }
            } catch let error as CheckpointError {
                // A directory's error already says what to do; a file's gets the way to a good one.
                throw RunError(isDirectory.boolValue
                               ? error.description
                               : "\(error); do not resume from it: inspect its run directory to find the newest checkpoint that verifies")
            }
            let summary = Summary(checkpoint, file: file)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(summary), as: UTF8.self))
            } else {
                print(summary.text(checkpoint))
            }
        }

        /// The verified facts about one checkpoint, in the `--json` key names.
        struct Summary: Encodable {
            var file: String
            var formatVersion: Int
            var iteration: Int
            var configSHA256: String
            var parameterCount: Int
            var parametersSHA256: String
            var verified = true
            var optimizer: String?
            var optimizerStep: Int?

            enum CodingKeys: String, CodingKey {
                case file, formatVersion = "format_version", iteration, configSHA256 = "config_sha256"
                case parameterCount = "parameter_count", parametersSHA256 = "parameters_sha256", verified
                case optimizer, optimizerStep = "optimizer_step"
            }

            init(_ checkpoint: RunCheckpoint, file: URL) {
                self.file = file.path
                formatVersion = Int(checkpoint.formatVersion)
                iteration = checkpoint.iteration
                configSHA256 = checkpoint.configurationSHA256
                parameterCount = checkpoint.parameters.scalarCount
                parametersSHA256 = checkpoint.parametersSHA256
                optimizer = checkpoint.optimizerKind
                optimizerStep = checkpoint.optimizerStep
            }

            /// Every key, with `null` for a missing optimizer (the synthesized encoding would omit it).
            func encode(to encoder: Encoder) throws {
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

            func text(_ checkpoint: RunCheckpoint) -> String {
                let configuration: String
                if let config = try? checkpoint.configuration() {
                    configuration = "\(config.name), seed \(config.seed)"
                } else {
                    configuration = "does not parse in this build"
                }
                let optimizerLine = optimizer.map { "\($0), step \(optimizerStep ?? 0)" } ?? "none (cannot resume training bit-identically)"
                let metrics = checkpoint.metricsJSON.isEmpty ? "none" : "\(checkpoint.metricsJSON.utf8.count) bytes of JSON"
                return """
                    checkpoint \(file): verified, format version \(formatVersion)
                      iteration:     \(iteration) (the next to run)
                      configuration: \(configuration); sha256 \(configSHA256)
                      parameters:    \(checkpoint.parameters.count) tensors, \(parameterCount) scalars; sha256 \(parametersSHA256)
                      optimizer:     \(optimizerLine)
                      metrics:       \(metrics)
                    """
            }
        }
    }
}
