import Foundation
import MetaRuntime

/// Worker processes of a local cluster (`train --workers N`): children of this process that
/// exit with it (they watch their parent's pid).
///
/// Each worker is this executable run as `worker --connect ENDPOINT --name local-I --threads T
/// --heartbeat-interval … --heartbeat-timeout … --parent-pid PID --log-format F`, with this
/// process's environment minus the `METATRAIN_*` variables of `worker` options (which could
/// point it at another coordinator or give it another identity). Only a process whose
/// executable has a `worker` command can start one.
public final class LocalCluster {
    /// The workers started, in order.
    public private(set) var processes: [Process] = []

    /// Starts `workers` worker processes connecting to `endpoint`.
    /// - Throws: ``RunError`` naming the first worker that could not be started (those started
    ///   before it keep running until they see this process exit).
    public init(workers: Int, endpoint: String, threads: Int, heartbeat: HeartbeatSettings, logFormat: String = "text") throws {
        // The workers inherit this process's environment; a METATRAIN_* key variable meant
        // for a remote coordinator must not change how they reach this one.
        for i in 0..<workers {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Self.executablePath())
            p.arguments = ["worker", "--connect", endpoint, "--name", "local-\(i + 1)", "--threads", "\(threads)",
                           "--heartbeat-interval", "\(heartbeat.interval)",
                           "--heartbeat-timeout", "\(heartbeat.timeout)", "--parent-pid", "\(getpid())",
                           "--log-format", logFormat]
            p.environment = ProcessInfo.processInfo.environment.filter { !Self.workerVariables.contains($0.key) }
            do { try p.run() } catch { throw RunError("cannot start worker \(i + 1): \(error.localizedDescription)") }
            processes.append(p)
        }
    }

    /// Nil while a worker runs; once every worker has exited, one line saying so, with their
    /// exit statuses (a run on local workers cannot go on: each worker logged why it stopped).
    public var allExited: String? {
        guard !processes.isEmpty, processes.allSatisfy({ !$0.isRunning }) else { return nil }
        let statuses = processes.enumerated().map { i, p in
            "local-\(i + 1) \(p.terminationReason == .uncaughtSignal ? "killed by signal " : "status ")\(p.terminationStatus)"
        }
        return "every local worker process has exited (\(statuses.joined(separator: ", "))); the lines they logged above say why"
    }

    /// Waits for the workers to exit (after the coordinator's shutdown), terminating any
    /// that has not after `seconds`.
    public func wait(seconds: Double = 10) {
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

    /// The variables of `worker` options (``EnvironmentOptions``), which the workers do not
    /// inherit: everything they need is on their command line.
    static let workerVariables = Set(EnvironmentOptions.mappings.filter { $0.commands.contains("worker") }.map(\.variable))

    /// The path of this executable, to start workers with.
    static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    }
}
