import ArgumentParser
import Foundation
import MetaCluster
import MetaTransport

struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Connect to a coordinator and compute the shards it assigns (the job comes from the coordinator).")

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

    @Option(name: .long, help: .hidden)
    var parentPid: Int32?

    @Option(name: .long, help: .hidden)
    var faultNanIteration: UInt64?

    @Option(name: .long, help: .hidden)
    var faultKillIteration: UInt64?

    @Option(name: .long, help: .hidden)
    var faultHangIteration: UInt64?

    func validate() throws {
        if (curveSecret == nil) != (serverKey == nil) { throw ValidationError("--curve-secret and --server-key go together") }
        guard connect.contains("://") else { throw ValidationError("--connect takes an endpoint like tcp://HOST:5555, got '\(connect)'") }
    }

    func run() throws {
        compute.apply()
        logging.apply()
        StopSignal.install()
        var security = WorkerSecurity.plain
        if let curveSecret, let serverKey {
            do {
                security = .curve(client: try CurveKeyPair.read(path: curveSecret), serverPublicKey: try CurveKeyPair.read(path: serverKey).publicKey)
            } catch { throw RunError(error.description) }
        }
        let name = self.name ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())"
        let parent = parentPid
        var options = Worker.Options(endpoint: connect, name: name, threads: compute.threads, heartbeat: heartbeat.settings,
                                     security: security, buildID: BuildInfo.id,
                                     faults: WorkerFaults(nanAtIteration: faultNanIteration, killAtIteration: faultKillIteration,
                                                          hangAtIteration: faultHangIteration),
                                     log: logLine("worker \(name)"))
        if let parent { options.stopWhen = { getppid() != parent } }
        let worker = Worker(options: options)
        let reason: String
        do { reason = try worker.run() } catch { throw RunError("worker \(name): \(error.description)") }
        logLine("worker \(name)")("\(reason) (\(worker.shardsComputed) shards computed)")
        if reason.hasPrefix("rejected") { throw ExitCode(3) }
    }
}
