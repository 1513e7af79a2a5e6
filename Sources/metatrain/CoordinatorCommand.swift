import ArgumentParser
import MetaCluster
import MetaTraining

struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Serve a training run to workers that connect (metatrain worker --connect …), then evaluate it.",
        discussion: EnvironmentOptions.help(for: "coordinator"))

    @OptionGroup var runOptions: RunOptions

    @Option(name: .long, help: "The endpoint to bind, e.g. tcp://0.0.0.0:5555 (port * picks a free one).")
    var bind: String

    @Option(name: .long, help: "Workers to wait for before the first iteration.")
    var minWorkers: Int = 1

    @OptionGroup var heartbeat: HeartbeatOptions

    @OptionGroup var security: CoordinatorSecurityOptions

    @OptionGroup var scheduling: SchedulingOptions

    func validate() throws {
        guard minWorkers >= 1 else { throw ValidationError("--min-workers must be at least 1, got \(minWorkers)") }
        guard bind.contains("://") else { throw ValidationError("--bind takes an endpoint like tcp://0.0.0.0:5555, got '\(bind)'") }
    }

    func run() throws {
        StopSignal.install()
        let driver = try runOptions.driver(threads: 1)
        try driver.trainDistributed(bind: bind, minWorkers: minWorkers, heartbeat: heartbeat.settings, security: try security.security(),
                                    insecure: security.insecure, scheduling: scheduling.scheduling, startWorkers: { _ in }).exit()
    }
}
