import ArgumentParser
import MetaTensor

@main
struct Metatrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metatrain",
        abstract: "A distributed meta-learning trainer.",
        subcommands: [TrainCommand.self, CoordinatorCommand.self, WorkerCommand.self, EvalCommand.self, BenchCommand.self,
                      KeysCommand.self, CheckpointCommand.self, ExportCommand.self, ImportCommand.self, ReportCommand.self]
    )

    static func main() {
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
