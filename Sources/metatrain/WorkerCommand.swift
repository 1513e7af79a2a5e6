import ArgumentParser
import Foundation
import MetaCluster
import MetaSearch
import MetaTelemetry
import MetaTraining

/// `metatrain worker`. Exit status (for `restart: on-failure`, Kubernetes and scripts): 1 for bad
/// arguments or key files, or a socket that could not be set up; otherwise how the session ended
/// (``Worker/Outcome/exitStatus(signal:)``: 0 finished, 3 rejected, 4 the job cannot be built
/// here, 5 gave up, 6 the coordinator stopped first, 130 / 143 SIGINT / SIGTERM).
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Connect to a coordinator and compute the shards it assigns (the job, a training run or a search, comes from the coordinator).",
        discussion: "Exit status: 0 training finished; 1 bad arguments; 3 rejected; 4 the job cannot be built here; "
            + "5 gave up (--give-up-after); 6 the coordinator stopped before training finished; 130/143 SIGINT/SIGTERM.\n\n"
            + EnvironmentOptions.help(for: "worker"))

    @Option(name: .long, help: "The coordinator's endpoint, e.g. tcp://10.0.0.5:5555.")
    var connect: String

    @Option(name: .long, help: "A name for logs (default: host name and process id).")
    var name: String?

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var heartbeat: HeartbeatOptions
    @OptionGroup var logging: LogOptions

    @Option(name: .long, help: "This worker's CURVE key file (from 'metatrain keys generate'); enables CURVE.")
    var curveSecret: String?

    @Option(name: .long, help: "The coordinator's public key file (NAME.pub), required with --curve-secret.")
    var serverKey: String?

    @Option(name: .long, help: "Give up (exit 5) when no coordinator has answered for this many seconds (default: keep trying).")
    var giveUpAfter: Double?

    @Option(name: .long, help: .hidden)
    var parentPid: Int32?

    @Option(name: .long, help: .hidden)
    var faultNanIteration: UInt64?

    @Option(name: .long, help: .hidden)
    var faultKillIteration: UInt64?

    @Option(name: .long, help: .hidden)
    var faultHangIteration: UInt64?

    @Option(name: .long, help: .hidden)
    var faultHugeIteration: UInt64?

    func validate() throws {
        if (curveSecret == nil) != (serverKey == nil) { throw ValidationError("--curve-secret and --server-key go together") }
        guard connect.contains("://") else { throw ValidationError("--connect takes an endpoint like tcp://HOST:5555, got '\(connect)'") }
        if let giveUpAfter, !(giveUpAfter > 0 && giveUpAfter <= 1e7) {
            throw ValidationError("--give-up-after must be a positive number of seconds, got \(giveUpAfter)")
        }
    }

    func run() throws {
        compute.apply()
        logging.apply()
        StopSignal.install()
        let security = try WorkerSecurity.fromKeyFiles(curveSecret: curveSecret, serverKey: serverKey)
        let name = self.name ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())"
        let parent = parentPid
        var options = Worker.Options(endpoint: connect, name: name, threads: compute.threads, heartbeat: heartbeat.settings,
                                     security: security, identity: BuildInfo.identity,
                                     faults: WorkerFaults(nanAtIteration: faultNanIteration, killAtIteration: faultKillIteration,
                                                          hangAtIteration: faultHangIteration, hugeAtIteration: faultHugeIteration),
                                     log: logLine("worker \(name)"))
        options.giveUpAfter = giveUpAfter
        options.jobKinds = [SearchJob.kind]
        if let parent { options.stopWhen = { getppid() != parent } }
        let worker = Worker(options: options)
        let outcome: Worker.Outcome
        do { outcome = try worker.run() } catch { throw RunError("worker \(name): \(error.description)") }
        logLine("worker \(name)")("\(outcome.reason) (\(worker.shardsComputed) shards computed)")
        let status = outcome.exitStatus(signal: StopSignal.receivedSignal)
        if status != 0 { throw ExitCode(status) }
    }
}
