import ArgumentParser
import Foundation
import MetaTensor
import MetaCluster
import MetaTransport
import MetaRuntime
import MetaTelemetry
import Logging

/// Heartbeat options shared by `train --workers`, `coordinator` and `worker`.
struct HeartbeatOptions: ParsableArguments {
    @Option(name: .long, help: "Seconds between heartbeats.")
    var heartbeatInterval: Double = 1

    @Option(name: .long, help: "Seconds of silence after which a peer counts as lost (its shard is reassigned).")
    var heartbeatTimeout: Double = 10

    func validate() throws {
        guard heartbeatInterval > 0, heartbeatInterval.isFinite else { throw ValidationError("--heartbeat-interval must be positive") }
        guard heartbeatTimeout > heartbeatInterval, heartbeatTimeout.isFinite else {
            throw ValidationError("--heartbeat-timeout must be longer than --heartbeat-interval")
        }
    }

    var settings: HeartbeatSettings { HeartbeatSettings(interval: heartbeatInterval, timeout: heartbeatTimeout) }
}

/// This build's identity, sent in every hello: results are bit-identical across processes
/// of the same build, BLAS kernels and numeric fingerprint.
enum BuildInfo {
    static let version = "0.5.0"
    static var id: String { "metatrain \(version) swift-6" }
    static var identity: BuildIdentity {
        BuildIdentity(buildID: id, blasKernel: BLASRuntime.coreName, fingerprint: NumericFingerprint.value)
    }
}

/// Scheduling options of the commands that coordinate (`train --workers`, `coordinator`).
struct SchedulingOptions: ParsableArguments {
    @Option(name: .long, help: "Shortest shard deadline, seconds: a shard not answered within max(floor, 4 × its expected time, by the worker's measured speed) is given to another worker too.")
    var shardDeadlineFloor: Double = 10

    @Option(name: .long, help: "Longest shard deadline, seconds (used while no speed is measured).")
    var shardDeadlineCap: Double = 600

    @Flag(name: .long, help: "Accept workers of another build, BLAS kernel family or numeric fingerprint (the result is then not bit-identical across worker counts).")
    var allowMixedBuilds = false

    func validate() throws {
        guard shardDeadlineFloor > 0, shardDeadlineFloor.isFinite, shardDeadlineFloor <= 86_400 else {
            throw ValidationError("--shard-deadline-floor must be between 0 and 86400 seconds, got \(shardDeadlineFloor)")
        }
        guard shardDeadlineCap >= shardDeadlineFloor, shardDeadlineCap <= 86_400 else {
            throw ValidationError("--shard-deadline-cap must be between --shard-deadline-floor and 86400 seconds, got \(shardDeadlineCap)")
        }
    }

    var deadlines: ShardDeadlines { ShardDeadlines(floor: shardDeadlineFloor, cap: shardDeadlineCap) }
}

/// A logger for the process's role (swift-log; text or JSON lines on standard error, see
/// `--log-format`), as a function of the line.
func logLine(_ role: String) -> (String) -> Void {
    let logger = Logger(label: role)
    return { line in logger.info("\(line)") }
}

/// `--log-format`, shared by the commands that log.
struct LogOptions: ParsableArguments {
    @Option(name: .long, help: "Log lines as text or json (one object per line, on standard error).")
    var logFormat: String = "text"

    func validate() throws {
        guard LogFormat(rawValue: logFormat) != nil else { throw ValidationError("--log-format is text or json, got '\(logFormat)'") }
    }

    func apply() { LogFormat(rawValue: logFormat)!.bootstrap() }
}

/// The path of this executable, to start workers with.
func executablePath() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    return n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
}

/// Worker processes of a local cluster (`train --workers N`): children of this process that
/// exit with it (they watch their parent's pid).
final class LocalCluster {
    private(set) var processes: [Process] = []

    init(workers: Int, endpoint: String, threads: Int, heartbeat: HeartbeatOptions, logFormat: String = "text") throws {
        // The workers inherit this process's environment; a METATRAIN_* key variable meant
        // for a remote coordinator must not change how they reach this one.
        for i in 0..<workers {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: executablePath())
            p.arguments = ["worker", "--connect", endpoint, "--name", "local-\(i + 1)", "--threads", "\(threads)",
                           "--heartbeat-interval", "\(heartbeat.heartbeatInterval)",
                           "--heartbeat-timeout", "\(heartbeat.heartbeatTimeout)", "--parent-pid", "\(getpid())",
                           "--log-format", logFormat]
            p.environment = ProcessInfo.processInfo.environment.filter {
                !["METATRAIN_CURVE_SECRET", "METATRAIN_SERVER_KEY", "METATRAIN_COORDINATOR", "METATRAIN_WORKER_NAME",
                  "METATRAIN_GIVE_UP_AFTER"].contains($0.key)
            }
            do { try p.run() } catch { throw RunError("cannot start worker \(i + 1): \(error.localizedDescription)") }
            processes.append(p)
        }
    }

    /// Waits for the workers to exit (after the coordinator's shutdown), terminating any
    /// that has not after `seconds`.
    func wait(seconds: Double = 10) {
        let deadline = Date().addingTimeInterval(seconds)
        for p in processes {
            while p.isRunning && Date() < deadline { usleep(20_000) }
            if p.isRunning {
                p.terminate()
                let grace = Date().addingTimeInterval(5)
                while p.isRunning && Date() < grace { usleep(20_000) }
                if p.isRunning { kill(p.processIdentifier, SIGKILL) }
                p.waitUntilExit()
            }
        }
    }
}
