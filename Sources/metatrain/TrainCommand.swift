import ArgumentParser
import MetaAlgorithms
import MetaCluster
import MetaTraining

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Meta-train a model (in this process, or on a local cluster of worker processes), then evaluate it.",
        discussion: "Presets: \(RunConfiguration.presets.keys.sorted().joined(separator: ", ")).\n\n"
            + EnvironmentOptions.help(for: "train"))

    @OptionGroup var runOptions: RunOptions

    @Option(name: .long, help: "Worker processes on this machine (0: train in this process). The result is bit-identical for any count.")
    var workers: Int = 0

    @OptionGroup var heartbeat: HeartbeatOptions
    @OptionGroup var compute: ComputeOptions
    @OptionGroup var scheduling: SchedulingOptions

    func validate() throws {
        guard workers >= 0 && workers <= 256 else { throw ValidationError("--workers must be between 0 and 256, got \(workers)") }
    }

    func run() throws {
        compute.apply()
        StopSignal.install()
        // Before the run directory is claimed, so the refusal leaves nothing behind.
        if runOptions.staleness > 0 && workers == 0 { throw RunError("--staleness needs workers (--workers N)") }
        let driver = try runOptions.driver(threads: compute.threads)
        guard workers > 0 else { return try driver.trainInProcess().exit() }
        try driver.trainOnLocalWorkers(workers, threads: compute.threads, heartbeat: heartbeat.settings, scheduling: scheduling.scheduling,
                                       logFormat: runOptions.logging.logFormat).exit()
    }
}
