import ArgumentParser
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
