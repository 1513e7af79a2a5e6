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

    @Option(name: .long, help: "The coordinator's CURVE key file (NAME.key from 'metatrain keys generate'); enables CURVE.")
    var curveSecret: String?

    @Option(name: .long, help: "Allowed worker public keys: a directory of .pub files or a file of keys (required with --curve-secret).")
    var allow: String?

    @Flag(name: .long, help: "Allow plain TCP (no CURVE) on a non-loopback address: anyone who can reach it can join, read the parameters and send gradients.")
    var insecure = false

    @OptionGroup var scheduling: SchedulingOptions

    func validate() throws {
        if (curveSecret == nil) != (allow == nil) { throw ValidationError("--curve-secret and --allow go together") }
        guard minWorkers >= 1 else { throw ValidationError("--min-workers must be at least 1, got \(minWorkers)") }
        guard bind.contains("://") else { throw ValidationError("--bind takes an endpoint like tcp://0.0.0.0:5555, got '\(bind)'") }
    }

    func run() throws {
        StopSignal.install()
        let security = try CoordinatorSecurity.fromKeyFiles(curveSecret: curveSecret, allow: allow)
        let driver = try runOptions.driver(threads: 1)
        try driver.trainDistributed(bind: bind, minWorkers: minWorkers, heartbeat: heartbeat.settings, security: security,
                                    insecure: insecure, scheduling: scheduling.scheduling, startWorkers: { _ in }).exit()
    }
}
