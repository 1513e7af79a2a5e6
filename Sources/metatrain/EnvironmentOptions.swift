import Foundation

/// Options from environment variables, for containers and cluster managers (deploy/): each
/// `METATRAIN_*` variable stands for one command-line option of `coordinator`, `worker` or
/// `train`, and is used only when that option is not on the command line.
///
/// | variable | option | commands |
/// |---|---|---|
/// | `METATRAIN_CONFIG` / `METATRAIN_PRESET` | `--config` / `--preset` | coordinator, train |
/// | `METATRAIN_ITERATIONS` | `--iterations` | coordinator, train |
/// | `METATRAIN_RUN_DIR` | `--run-dir` | coordinator, train |
/// | `METATRAIN_CHECKPOINT_EVERY` | `--checkpoint-every` | coordinator, train |
/// | `METATRAIN_RESUME` (`1`/`true`) | `--resume` | coordinator, train |
/// | `METATRAIN_BIND` | `--bind` | coordinator |
/// | `METATRAIN_MIN_WORKERS` | `--min-workers` | coordinator |
/// | `METATRAIN_COORDINATOR` | `--connect` | worker |
/// | `METATRAIN_WORKER_NAME` | `--name` | worker |
/// | `METATRAIN_HEARTBEAT_INTERVAL` / `_TIMEOUT` | `--heartbeat-interval` / `--heartbeat-timeout` | all three |
/// | `METATRAIN_CURVE_SECRET` | `--curve-secret` (this process's key file) | coordinator, worker |
/// | `METATRAIN_ALLOW` | `--allow` (allowed worker keys) | coordinator |
/// | `METATRAIN_SERVER_KEY` | `--server-key` (the coordinator's public key) | worker |
/// | `METATRAIN_INSECURE` (`1`/`true`) | `--insecure` | coordinator |
/// | `METATRAIN_ALLOW_MIXED_BUILDS` (`1`/`true`) | `--allow-mixed-builds` | coordinator, train |
/// | `METATRAIN_GIVE_UP_AFTER` | `--give-up-after` | worker |
/// | `METATRAIN_METRICS_BIND` | `--metrics-bind` | coordinator, train |
/// | `METATRAIN_LOG_FORMAT` | `--log-format` | coordinator, worker, train |
///
/// (`METATRAIN_OMNIGLOT_DIR`, the data set's folder, is read by the data loader itself.)
enum EnvironmentOptions {
    struct Mapping {
        let variable: String, option: String, commands: Set<String>, flag: Bool
    }

    static let mappings: [Mapping] = [
        Mapping(variable: "METATRAIN_CONFIG", option: "--config", commands: ["coordinator", "train"], flag: false),
        Mapping(variable: "METATRAIN_PRESET", option: "--preset", commands: ["coordinator", "train"], flag: false),
        Mapping(variable: "METATRAIN_ITERATIONS", option: "--iterations", commands: ["coordinator", "train"], flag: false),
        Mapping(variable: "METATRAIN_RUN_DIR", option: "--run-dir", commands: ["coordinator", "train"], flag: false),
        Mapping(variable: "METATRAIN_CHECKPOINT_EVERY", option: "--checkpoint-every", commands: ["coordinator", "train"], flag: false),
        Mapping(variable: "METATRAIN_RESUME", option: "--resume", commands: ["coordinator", "train"], flag: true),
        Mapping(variable: "METATRAIN_BIND", option: "--bind", commands: ["coordinator"], flag: false),
        Mapping(variable: "METATRAIN_MIN_WORKERS", option: "--min-workers", commands: ["coordinator"], flag: false),
        Mapping(variable: "METATRAIN_COORDINATOR", option: "--connect", commands: ["worker"], flag: false),
        Mapping(variable: "METATRAIN_WORKER_NAME", option: "--name", commands: ["worker"], flag: false),
        Mapping(variable: "METATRAIN_HEARTBEAT_INTERVAL", option: "--heartbeat-interval", commands: ["coordinator", "worker", "train"], flag: false),
        Mapping(variable: "METATRAIN_HEARTBEAT_TIMEOUT", option: "--heartbeat-timeout", commands: ["coordinator", "worker", "train"], flag: false),
        Mapping(variable: "METATRAIN_CURVE_SECRET", option: "--curve-secret", commands: ["coordinator", "worker"], flag: false),
        Mapping(variable: "METATRAIN_ALLOW", option: "--allow", commands: ["coordinator"], flag: false),
        Mapping(variable: "METATRAIN_SERVER_KEY", option: "--server-key", commands: ["worker"], flag: false),
        Mapping(variable: "METATRAIN_INSECURE", option: "--insecure", commands: ["coordinator"], flag: true),
        Mapping(variable: "METATRAIN_ALLOW_MIXED_BUILDS", option: "--allow-mixed-builds", commands: ["coordinator", "train"], flag: true),
        Mapping(variable: "METATRAIN_GIVE_UP_AFTER", option: "--give-up-after", commands: ["worker"], flag: false),
        Mapping(variable: "METATRAIN_METRICS_BIND", option: "--metrics-bind", commands: ["coordinator", "train"], flag: false),
        Mapping(variable: "METATRAIN_LOG_FORMAT", option: "--log-format", commands: ["coordinator", "worker", "train"], flag: false),
    ]

    /// `arguments` (without the program name) with the options the environment supplies.
    static func apply(_ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        guard let command = arguments.first else { return arguments }
        var out = arguments
        let given = Set(arguments.map { $0.split(separator: "=", maxSplits: 1).first.map(String.init) ?? $0 })
        // --config and --preset exclude each other: a command line naming one wins over both variables.
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
}
