import Foundation
import PackagePlugin

/// Records the git commit a target is built from: before every build, writes
/// `BuildCommit.swift` (`enum BuildCommit { static let hash = "…" }`) into the plugin's output
/// directory, which SwiftPM compiles into the target.
///
/// The hash is `METATRAIN_BUILD_COMMIT` when set (a container build without `.git` passes it
/// as a build argument), else `git rev-parse --short=12 HEAD` of the package, with `-dirty`
/// when tracked files differ from it, else `unknown` (no git, not a checkout). Only characters
/// `A–Z a–z 0–9 . _ + -` are kept, so the value is a safe Swift string and Prometheus label.
///
/// The file is rewritten only when its text changes, so an unchanged commit recompiles nothing.
/// A prebuild command (not a build command) because git's state is not a file SwiftPM can
/// track as an input.
@main
struct BuildCommit: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let script = #"""
            dir="$1"; out="$2"
            mkdir -p "$out"
            commit="${METATRAIN_BUILD_COMMIT:-}"
            if [ -z "$commit" ]; then
              commit=$(git -C "$dir" rev-parse --short=12 HEAD 2>/dev/null) || commit=unknown
              if [ "$commit" != unknown ] && [ -n "$(git -C "$dir" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
                commit="$commit-dirty"
              fi
            fi
            commit=$(printf '%s' "$commit" | tr -cd 'A-Za-z0-9._+-')
            [ -n "$commit" ] || commit=unknown
            text="// Generated before each build by the BuildCommit plugin (Sources/BuildCommitPlugin).
            enum BuildCommit { static let hash = \"$commit\" }"
            if [ "$(cat "$out/BuildCommit.swift" 2>/dev/null)" != "$text" ]; then
              printf '%s\n' "$text" > "$out/BuildCommit.swift"
            fi
            """#
        let inherited = ProcessInfo.processInfo.environment
        var environment = ["PATH": inherited["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"]
        if let commit = inherited["METATRAIN_BUILD_COMMIT"] { environment["METATRAIN_BUILD_COMMIT"] = commit }
        return [.prebuildCommand(displayName: "Recording the git commit of \(target.name)",
                                 executable: URL(fileURLWithPath: "/bin/sh"),
                                 arguments: ["-c", script, "sh", context.package.directoryURL.path, output.path],
                                 environment: environment, outputFilesDirectory: output)]
    }
}
