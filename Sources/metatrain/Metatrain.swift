import ArgumentParser
import Foundation
import MetaTensor
import MetaTraining

@main
struct Metatrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metatrain",
        abstract: "A distributed meta-learning trainer.",
        version: BuildInfo.versionLine,
        subcommands: [TrainCommand.self, CoordinatorCommand.self, WorkerCommand.self, EvalCommand.self, BenchCommand.self,
                      KeysCommand.self, CheckpointCommand.self, ExportCommand.self, ImportCommand.self, ReportCommand.self,
                      VersionCommand.self, DataCommand.self, AdaptCommand.self, SearchCommand.self,
                      CalibrationCommand.self]
    )

    static func main() {
        // First of all: a write to a closed pipe (stdout piped into `head`, a log collector
        // that went away, a worker's socket) must return EPIPE, not kill a run mid-checkpoint.
        signal(SIGPIPE, SIG_IGN)
        BLASKernelSelection.ensureOptimizedKernels()
        AllocatorTuning.apply()
        BLASRuntime.setThreads(1)
        Metatrain.main(EnvironmentOptions.apply(Array(CommandLine.arguments.dropFirst())))
    }
}

/// Options shared by commands that compute.
struct ComputeOptions: ParsableArguments {
    @Option(name: .long, help: "OpenBLAS threads for this process (workers are the unit of parallelism).")
    var threads: Int = 1

    func validate() throws {
        guard threads >= 1 && threads <= 256 else { throw ValidationError("--threads must be between 1 and 256, got \(threads)") }
    }

    func apply() { BLASRuntime.setThreads(threads) }
}
