import Foundation

/// The container engine the deploy tests drive: Debian's `podman` and `podman-compose`, set up
/// by scripts/install-containers.sh (engine settings and the locally made base image).
struct ContainerEngine {
    let podman: String
    let compose: String

    /// The engine, or why it cannot be used (one line that says what to run).
    static func find() -> Result<ContainerEngine, SetupProblem> {
        guard let podman = which("podman"), let compose = which("podman-compose") else {
            return .failure(SetupProblem("podman or podman-compose is not installed: run scripts/install-containers.sh (make test does)"))
        }
        let base = (try? run(podman, ["image", "exists", "docker.io/library/debian:bookworm-slim"]).status) ?? 1
        guard base == 0 else {
            return .failure(SetupProblem("the base image debian:bookworm-slim is missing: run scripts/install-containers.sh (make test does)"))
        }
        return .success(ContainerEngine(podman: podman, compose: compose))
    }

    struct SetupProblem: Error, CustomStringConvertible { let description: String; init(_ d: String) { description = d } }

    /// `podman ARGS`.
    @discardableResult
    func podman(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try run(podman, arguments)
    }

    /// `podman-compose -p PROJECT -f deploy/compose.yaml ARGS` with `environment` added to this process's.
    @discardableResult
    func compose(project: String, _ arguments: [String], environment: [String: String]) throws -> (status: Int32, output: String) {
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        let file = repositoryRoot.appendingPathComponent("deploy/compose.yaml").path
        return try run(compose, ["-p", project, "-f", file] + arguments, environment: env)
    }

    /// The last `tail` lines of a container's output ("" when there is none).
    func logs(_ container: String, tail: Int) -> String {
        (try? podman(["logs", "--tail", "\(tail)", container]).output) ?? ""
    }

    /// A container's state: status ("running", "exited", ...), exit code, restarts, host PID.
    func state(_ container: String) throws -> (status: String, exitCode: Int, restarts: Int, pid: Int32)? {
        let r = try podman(["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}} {{.State.Pid}}", container])
        guard r.status == 0 else { return nil }
        let f = r.output.split(whereSeparator: \.isWhitespace)
        guard f.count == 4, let code = Int(f[1]), let restarts = Int(f[2]), let pid = Int32(f[3]) else { return nil }
        return (String(f[0]), code, restarts, pid)
    }

    static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
