import ArgumentParser
import MetaCluster
import MetaRuntime
import MetaTelemetry
import MetaTraining

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

    var scheduling: RunDriver.Scheduling {
        RunDriver.Scheduling(deadlines: ShardDeadlines(floor: shardDeadlineFloor, cap: shardDeadlineCap), allowMixedBuilds: allowMixedBuilds)
    }
}

/// How a coordinator secures its socket, shared by `coordinator` and `search --bind`:
/// `--curve-secret` with `--allow` (CURVE with an allow-list of worker keys), or plain TCP, which
/// a non-loopback endpoint refuses without `--insecure`.
struct CoordinatorSecurityOptions: ParsableArguments {
    @Option(name: .long, help: "The coordinator's CURVE key file (NAME.key from 'metatrain keys generate'); enables CURVE.")
    var curveSecret: String?

    @Option(name: .long, help: "Allowed worker public keys: a directory of .pub files or a file of keys (required with --curve-secret).")
    var allow: String?

    @Flag(name: .long, help: "Allow plain TCP (no CURVE) on a non-loopback address: anyone who can reach it can join, read the job and send results.")
    var insecure = false

    func validate() throws {
        if (curveSecret == nil) != (allow == nil) { throw ValidationError("--curve-secret and --allow go together") }
    }

    /// Whether any of the options was given (they apply only to a coordinator that binds an endpoint).
    var isSet: Bool { curveSecret != nil || insecure }

    /// The security the options ask for, keys read and checked.
    /// - Throws: ``RunError`` naming the key file or allow-list that cannot be used.
    func security() throws -> CoordinatorSecurity {
        do { return try CoordinatorSecurity.fromKeyFiles(curveSecret: curveSecret, allow: allow) } catch { throw RunError(error.description) }
    }
}

/// `--log-format`, shared by the commands that log.
struct LogOptions: ParsableArguments {
    @Option(name: .long, help: "Log lines as text or json (one object per line, on standard error).")
    var logFormat: String = "text"

    func validate() throws {
        guard LogFormat(rawValue: logFormat) != nil else { throw ValidationError("--log-format is text or json, got '\(logFormat)'") }
    }

    /// The format asked for (``validate()`` has checked it).
    var format: LogFormat { LogFormat(rawValue: logFormat) ?? .text }

    func apply() { format.bootstrap() }
}
