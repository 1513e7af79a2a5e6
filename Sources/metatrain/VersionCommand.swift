import ArgumentParser
import MetaTraining

/// `metatrain version`: the same line as `metatrain --version`.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the version and the git commit this binary was built from.")

    func run() { print(BuildInfo.versionLine) }
}
