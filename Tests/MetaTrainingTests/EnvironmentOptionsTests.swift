import Foundation
import Testing
import MetaTestKit
import MetaTraining

/// `METATRAIN_*` variables as options: how they fill in the command line, and that every option
/// of `coordinator`, `worker` and `train` in the built binary has one or a stated exemption.
@Suite struct EnvironmentOptionsTests {
    /// Runs the built `metatrain` with `arguments`; its standard output.
    static func metatrain(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = BuiltProducts.metatrain
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("METATRAIN_") }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// `git ARGUMENTS` in this source tree; its exit status (-1 when git cannot be run).
    static func git(_ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", URL(fileURLWithPath: #filePath).deletingLastPathComponent().path] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// The long options of each command, from ArgumentParser's `--experimental-dump-help`.
    static func longOptions() throws -> [String: Set<String>] {
        let json = try metatrain(["--experimental-dump-help"])
        let root = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let command = try #require(root["command"] as? [String: Any])
        var out: [String: Set<String>] = [:]
        for sub in command["subcommands"] as? [[String: Any]] ?? [] {
            guard let name = sub["commandName"] as? String else { continue }
            var options = Set<String>()
            for argument in sub["arguments"] as? [[String: Any]] ?? [] {
                for n in argument["names"] as? [[String: Any]] ?? [] where n["kind"] as? String == "long" {
                    if let long = n["name"] as? String { options.insert("--" + long) }
                }
            }
            out[name] = options
        }
        return out
    }

    @Test func variablesFillInTheOptionsTheCommandLineLeavesOut() {
        let environment = ["METATRAIN_ITERATIONS": "300", "METATRAIN_RUN_DIR": "/runs/a", "METATRAIN_SEED": "7",
                           "METATRAIN_RESUME": "TRUE", "METATRAIN_INSECURE": "1", "METATRAIN_COORDINATOR": "tcp://x:1"]
        let out = EnvironmentOptions.apply(["coordinator", "--bind", "tcp://0.0.0.0:5555", "--iterations", "5"], environment: environment)
        #expect(out == ["coordinator", "--bind", "tcp://0.0.0.0:5555", "--iterations", "5", "--run-dir", "/runs/a", "--seed", "7",
                        "--resume", "--insecure"])
        // --option=value counts as given.
        #expect(EnvironmentOptions.apply(["train", "--seed=3"], environment: ["METATRAIN_SEED": "7"]) == ["train", "--seed=3"])
    }

    @Test func aFlagsVariableTurnsItOnOnlyWithOneTrueOrYesAndEmptyVariablesCountAsUnset() {
        for (value, on) in [("1", true), ("true", true), ("Yes", true), ("0", false), ("false", false), ("", false)] {
            let out = EnvironmentOptions.apply(["train"], environment: ["METATRAIN_ALLOW_MIXED_BUILDS": value, "METATRAIN_KEEP": ""])
            #expect(out == (on ? ["train", "--allow-mixed-builds"] : ["train"]), "\(value)")
        }
    }

    @Test func configWinsOverPresetAndACommandLineChoiceWinsOverBoth() {
        let both = ["METATRAIN_CONFIG": "run.yaml", "METATRAIN_PRESET": "sine-maml"]
        #expect(EnvironmentOptions.apply(["train"], environment: both) == ["train", "--config", "run.yaml"])
        #expect(EnvironmentOptions.apply(["train", "--preset", "sine-pretrain"], environment: both) == ["train", "--preset", "sine-pretrain"])
        #expect(EnvironmentOptions.apply(["train"], environment: ["METATRAIN_PRESET": "sine-maml"]) == ["train", "--preset", "sine-maml"])
    }

    @Test func onlyTheCommandsOwnVariablesApplyAndOtherCommandsAreLeftAlone() {
        let environment = ["METATRAIN_BIND": "tcp://0.0.0.0:1", "METATRAIN_WORKERS": "2", "METATRAIN_THREADS": "3",
                           "METATRAIN_LOG_FORMAT": "json"]
        #expect(EnvironmentOptions.apply(["worker"], environment: environment) == ["worker", "--log-format", "json", "--threads", "3"])
        #expect(EnvironmentOptions.apply(["eval", "--run-dir", "r"], environment: environment) == ["eval", "--run-dir", "r"])
        #expect(EnvironmentOptions.apply([], environment: environment) == [])
    }

    @Test func everyOptionOfTheServiceCommandsHasAVariableOrAStatedExemption() throws {
        let options = try Self.longOptions()
        for command in EnvironmentOptions.commands.sorted() {
            let declared = try #require(options[command], "no \(command) in the dump")
            #expect(declared.count >= 8)
            let mapped = Set(EnvironmentOptions.mappings.filter { $0.commands.contains(command) }.map(\.option))
            let exempt = Set(EnvironmentOptions.exemptions.filter { $0.commands.contains(command) }.map(\.option))
            #expect(declared.subtracting(mapped).subtracting(exempt).isEmpty,
                    "\(command): options without a METATRAIN_* variable: \(declared.subtracting(mapped).subtracting(exempt).sorted())")
            // No variable names an option the command does not have, nor is an option both mapped and exempt.
            #expect(mapped.union(exempt).subtracting(declared).isEmpty, "\(command): \(mapped.union(exempt).subtracting(declared).sorted())")
            #expect(mapped.intersection(exempt).isEmpty)
        }
        #expect(Set(EnvironmentOptions.mappings.map(\.variable)).count == EnvironmentOptions.mappings.count)
        #expect(EnvironmentOptions.mappings.allSatisfy { $0.variable.hasPrefix("METATRAIN_") })
    }

    @Test func eachCommandsHelpListsItsVariables() throws {
        for command in EnvironmentOptions.commands.sorted() {
            let help = try Self.metatrain([command, "--help"])
            let own = EnvironmentOptions.mappings.filter { $0.commands.contains(command) }
            for m in own { #expect(help.contains(m.variable), "\(command) --help lacks \(m.variable)") }
            for m in EnvironmentOptions.mappings where !m.commands.contains(command) {
                #expect(!help.contains(m.variable + " "), "\(command) --help lists \(m.variable)")
            }
        }
    }

    @Test func versionPrintsTheVersionAndTheCommitBuilt() throws {
        #expect(try Self.metatrain(["--version"]) == BuildInfo.versionLine + "\n")
        #expect(try Self.metatrain(["version"]) == BuildInfo.versionLine + "\n")
        #expect(BuildInfo.versionLine.contains(BuildInfo.version) && BuildInfo.versionLine.contains(BuildInfo.commit))
        // Built from a git checkout (this one): the commit is one of this repository's, as 12 hex
        // digits and `-dirty` when tracked files differed from it.
        guard ProcessInfo.processInfo.environment["METATRAIN_BUILD_COMMIT"] == nil,
              Self.git(["rev-parse", "--is-inside-work-tree"]) == 0 else {
            #expect(!BuildInfo.commit.isEmpty)
            return
        }
        let hash = BuildInfo.commit.hasSuffix("-dirty") ? String(BuildInfo.commit.dropLast(6)) : BuildInfo.commit
        #expect(hash.count == 12 && hash.allSatisfy(\.isHexDigit), "\(BuildInfo.commit)")
        #expect(Self.git(["cat-file", "-e", hash + "^{commit}"]) == 0, "\(BuildInfo.commit) is not a commit of this repository")
    }
}
