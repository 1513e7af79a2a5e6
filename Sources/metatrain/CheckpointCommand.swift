import ArgumentParser
import MetaCheckpoint
import MetaTelemetry

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
            let (summary, skipped) = try CheckpointSummary.inspect(path: path)
            for s in skipped { FileDescriptorOutput.standardError("warning: skipped \(s)\n") }
            print(json ? try summary.json() : summary.text)
        }
    }
}
