import Foundation

/// Options from environment variables, for containers and cluster managers (deploy/): each
/// `METATRAIN_*` variable stands for one command-line option of `coordinator`, `worker`,
/// `train` or `search`, and is used only when that option is not on the command line.
///
/// Every option of those three commands has a variable (``mappings``) or is exempt for a stated
/// reason (``exemptions``); `Tests/MetaTrainingTests/EnvironmentOptionsTests` checks the built
/// binary's options against both lists, so an option added without a variable fails the tests.
/// Each command's `--help` lists its variables (``help(for:)``), and README.md's table lists them all.
///
/// A flag's variable turns it on with `1`, `true` or `yes` (any case) and is ignored otherwise;
/// an empty variable counts as unset. `--config` and `--preset` exclude each other: a command
/// line naming either wins over both variables, and `METATRAIN_CONFIG` wins over `METATRAIN_PRESET`.
/// (`METATRAIN_OMNIGLOT_DIR`, the data set's folder, is read by the data loader itself.)
public enum EnvironmentOptions {
    /// One variable and the option it stands for.
    public struct Mapping: Sendable {
        public let variable: String
        /// The long option, `--name`.
        public let option: String
        /// The commands that have the option.
        public let commands: Set<String>
        /// Whether the option is a flag (takes no value).
        public let flag: Bool

        init(_ variable: String, _ option: String, _ commands: Set<String>, flag: Bool = false) {
            self.variable = variable
            self.option = option
            self.commands = commands
            self.flag = flag
        }
    }

    /// An option that deliberately has no variable, and why.
    public struct Exemption: Sendable {
        public let option: String
        public let commands: Set<String>
        public let reason: String
    }

    /// The commands whose options variables stand for.
    public static let commands: Set<String> = ["coordinator", "worker", "train", "search"]

    /// Every variable, in the order `--help` and README.md list them.
    public static let mappings: [Mapping] = [
        Mapping("METATRAIN_CONFIG", "--config", ["coordinator", "train"]),
        Mapping("METATRAIN_PRESET", "--preset", ["coordinator", "train"]),
        Mapping("METATRAIN_ITERATIONS", "--iterations", ["coordinator", "train"]),
        Mapping("METATRAIN_RUN_DIR", "--run-dir", ["coordinator", "train", "search"]),
        Mapping("METATRAIN_SEED", "--seed", ["coordinator", "train", "search"]),
        Mapping("METATRAIN_EVAL_TASKS", "--eval-tasks", ["coordinator", "train"]),
        Mapping("METATRAIN_CHECKPOINT_EVERY", "--checkpoint-every", ["coordinator", "train"]),
        Mapping("METATRAIN_KEEP", "--keep", ["coordinator", "train"]),
        Mapping("METATRAIN_RESUME", "--resume", ["coordinator", "train", "search"], flag: true),
        Mapping("METATRAIN_METRICS_BIND", "--metrics-bind", ["coordinator", "train"]),
        Mapping("METATRAIN_LOG_FORMAT", "--log-format", ["coordinator", "worker", "train"]),
        Mapping("METATRAIN_STALENESS", "--staleness", ["coordinator", "train"]),
        Mapping("METATRAIN_WORKERS", "--workers", ["train", "search"]),
        Mapping("METATRAIN_THREADS", "--threads", ["worker", "train", "search"]),
        Mapping("METATRAIN_BIND", "--bind", ["coordinator", "search"]),
        Mapping("METATRAIN_MIN_WORKERS", "--min-workers", ["coordinator", "search"]),
        Mapping("METATRAIN_COORDINATOR", "--connect", ["worker"]),
        Mapping("METATRAIN_WORKER_NAME", "--name", ["worker"]),
        Mapping("METATRAIN_HEARTBEAT_INTERVAL", "--heartbeat-interval", ["coordinator", "worker", "train", "search"]),
        Mapping("METATRAIN_HEARTBEAT_TIMEOUT", "--heartbeat-timeout", ["coordinator", "worker", "train", "search"]),
        Mapping("METATRAIN_SHARD_DEADLINE_FLOOR", "--shard-deadline-floor", ["coordinator", "train"]),
        Mapping("METATRAIN_SHARD_DEADLINE_CAP", "--shard-deadline-cap", ["coordinator", "train"]),
        Mapping("METATRAIN_ALLOW_MIXED_BUILDS", "--allow-mixed-builds", ["coordinator", "train"], flag: true),
        Mapping("METATRAIN_CURVE_SECRET", "--curve-secret", ["coordinator", "worker", "search"]),
        Mapping("METATRAIN_ALLOW", "--allow", ["coordinator", "search"]),
        Mapping("METATRAIN_SERVER_KEY", "--server-key", ["worker"]),
        Mapping("METATRAIN_INSECURE", "--insecure", ["coordinator", "search"], flag: true),
        Mapping("METATRAIN_GIVE_UP_AFTER", "--give-up-after", ["worker"]),
        Mapping("METATRAIN_SEARCH_CONFIG", "--config", ["search"]),
        Mapping("METATRAIN_CANDIDATE_DEADLINE", "--candidate-deadline", ["search"]),
    ]

    /// The options without a variable, each with its reason.
    public static let exemptions: [Exemption] = [
        Exemption(option: "--overwrite", commands: ["coordinator", "train"],
                  reason: "a service restarted with it would discard its run at every restart; pass it by hand, once"),
        Exemption(option: "--parent-pid", commands: ["worker"], reason: "internal: `train --workers` passes it to its own worker processes"),
        Exemption(option: "--fault-nan-iteration", commands: ["worker"], reason: "internal: fault injection for the tests"),
        Exemption(option: "--fault-kill-iteration", commands: ["worker"], reason: "internal: fault injection for the tests"),
        Exemption(option: "--fault-hang-iteration", commands: ["worker"], reason: "internal: fault injection for the tests"),
        Exemption(option: "--fault-huge-iteration", commands: ["worker"], reason: "internal: fault injection for the tests"),
        Exemption(option: "--fault-kill-candidate", commands: ["search"], reason: "internal: fault injection for the tests"),
        Exemption(option: "--help", commands: ["coordinator", "worker", "train", "search"], reason: "not a setting"),
        Exemption(option: "--version", commands: ["coordinator", "worker", "train", "search"], reason: "not a setting"),
    ]

    /// `arguments` (without the program name) with the options the environment supplies,
    /// appended after those given.
    public static func apply(_ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        guard let command = arguments.first, commands.contains(command) else { return arguments }
        var out = arguments
        let given = Set(arguments.map { $0.split(separator: "=", maxSplits: 1).first.map(String.init) ?? $0 })
        let selects = given.contains("--config") || given.contains("--preset")
        for m in mappings where m.commands.contains(command) && !given.contains(m.option) {
            guard let value = environment[m.variable], !value.isEmpty else { continue }
            if (m.option == "--config" || m.option == "--preset") && selects { continue }
            if m.option == "--preset" && environment["METATRAIN_CONFIG"].map({ !$0.isEmpty }) == true { continue }
            if m.flag {
                if ["1", "true", "yes"].contains(value.lowercased()) { out.append(m.option) }
            } else {
                out += [m.option, value]
            }
        }
        return out
    }

    /// The variables of `command`, for its `--help`: one `VARIABLE  --option` line each.
    public static func help(for command: String) -> String {
        let rows = mappings.filter { $0.commands.contains(command) }
        let width = rows.map(\.variable.count).max() ?? 0
        return "Environment variables (used when the option is not given; flags take 1, true or yes):\n"
            + rows.map { "  " + $0.variable.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.option }.joined(separator: "\n")
    }
}
