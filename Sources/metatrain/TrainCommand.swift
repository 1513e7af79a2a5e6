import ArgumentParser
import Foundation
import MetaTensor
import MetaAlgorithms
import MetaCluster
import MetaRuntime

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Meta-train a model (in this process, or on a local cluster of worker processes), then evaluate it.",
        discussion: "Presets: \(RunConfiguration.presets.keys.sorted().joined(separator: ", ")).")

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
        let driver = try RunDriver(options: runOptions, threads: compute.threads)
        if runOptions.staleness > 0 && workers == 0 { throw RunError("--staleness needs workers (--workers N)") }
        guard workers > 0 else {
            let start = try driver.loop.startingState(resume: runOptions.resume, log: logLine("train"))
            driver.printHeader(start, where: "in this process")
            try driver.train(from: start) { state in
                if StopSignal.isRequested { return nil }
                let (next, metrics) = driver.trainer.step(state)
                return StepOutcome(state: next, metrics: metrics, cluster: nil)
            }
            return
        }
        var cluster: LocalCluster?
        defer { cluster?.wait() }
        // A private channel: an ipc socket in a 0700 directory, which other local users cannot join.
        let channel: PrivateEndpoint
        do { channel = try PrivateEndpoint() } catch { throw RunError("\(error)") }
        defer { channel.remove() }
        try driver.trainDistributed(bind: channel.endpoint, minWorkers: workers, heartbeat: heartbeat.settings, security: .plain,
                                    insecure: false, scheduling: scheduling, startWorkers: { endpoint in
                                        cluster = try LocalCluster(workers: workers, endpoint: endpoint, threads: compute.threads,
                                                                   heartbeat: heartbeat, logFormat: runOptions.logging.logFormat)
                                    }, afterTraining: { cluster?.wait() })
    }
}
