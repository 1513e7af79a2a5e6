import Foundation
import Testing
import MetaTestKit

/// The image and the compose cluster for real: builds deploy/Dockerfile's `prebuilt` target with
/// this build's binary (and the Swift runtime libraries it links), brings up deploy/compose.yaml
/// with podman-compose (the keys service, a coordinator, two worker replicas), crashes the coordinator and kills a worker mid-run, and
/// checks the final parameters against a one-process run on the host.
@Suite(.serialized) struct ComposeClusterTests {
    /// Long enough that the run is still going when the test freezes it at its first checkpoint
    /// (every 250 iterations), short enough for the host's reference run.
    static let iterations = 10_000

    @Test func theComposeClusterTrainsBitIdenticallyToOneProcessThroughACoordinatorCrashAndAWorkerKill() throws {
        let engine: ContainerEngine
        switch ContainerEngine.find() {
        case .success(let e): engine = e
        case .failure(let problem): Issue.record("\(problem)"); return
        }
        let started = Date()
        let tag = "localhost/metatrain-test:\(getpid())"
        try buildImage(engine, tag: tag)
        defer { _ = try? engine.podman(["rmi", "-f", tag]) }
        try checkImage(engine, tag: tag)

        // The reference: the same configuration in one process on the host.
        let reference = BuiltProducts.temporaryDirectory("compose-reference")
        defer { try? FileManager.default.removeItem(at: reference) }
        let host = try run(metatrainBinary.path, ["train", "--preset", "sine-maml", "--iterations", "\(Self.iterations)",
                                                  "--workers", "0", "--run-dir", reference.path])
        #expect(host.status == 0, "\(host.output.suffix(2_000))")
        let expected = try parametersSHA256(reference)

        let project = "mttest\(getpid())"
        let runs = BuiltProducts.temporaryDirectory("compose-runs")
        let data = BuiltProducts.temporaryDirectory("compose-data")
        let coordinator = "\(project)_coordinator_1", workers = ["\(project)_worker_1", "\(project)_worker_2"]
        defer {
            // A failed expectation may leave containers frozen; `down` cannot stop them then.
            for name in [coordinator] + workers { _ = try? engine.podman(["unpause", name]) }
            _ = try? engine.compose(project: project, ["down", "-v"], environment: [:])
            _ = try? engine.podman(["volume", "rm", "-f", "\(project)_keys", "\(project)_runs", "\(project)_omniglot"])
            // podman-compose 1.0.3's `down` leaves the project's network.
            _ = try? engine.podman(["network", "rm", "-f", "\(project)_default"])
            try? FileManager.default.removeItem(at: data)
        }
        // The image's user (uid 10001) writes the run directory.
        #expect(chmod(runs.path, 0o777) == 0)
        let port = BuiltProducts.freePort()
        let environment = [
            "METATRAIN_IMAGE": tag, "METATRAIN_PRESET": "sine-maml", "METATRAIN_ITERATIONS": "\(Self.iterations)",
            "METATRAIN_CHECKPOINT_EVERY": "250", "METATRAIN_RUNS": runs.path, "METATRAIN_RUN_NAME": "compose",
            "OMNIGLOT_DIR": data.path, "METATRAIN_METRICS_PORT": "\(port)", "WORKERS": "2",
        ]
        let up = try engine.compose(project: project, ["up", "-d"], environment: environment)
        try #require(up.status == 0, "\(up.output.suffix(3_000))")
        let runDir = runs.appendingPathComponent("compose")

        // The test holds the run where it needs it with `podman pause` (the cgroup freezer), so
        // every step below happens mid-run however fast the machine trains.
        // Training is under way: a checkpoint exists. The run is frozen at once.
        try #require(waitUntil(seconds: 300, every: 0.05) { checkpoints(runDir).count > 0 },
                     "no checkpoint appeared: \(engine.logs(coordinator, tail: 40))")
        try #require(try engine.podman(["pause", coordinator]).status == 0)
        #expect((checkpoints(runDir).max() ?? 0) < Self.iterations, "the run ended before the pause: raise iterations")
        // A worker's health check (the coordinator's port answers from its container) passes
        // while the coordinator is frozen: the kernel completes the connection.
        #expect(waitUntil(seconds: 60) { (try? engine.podman(["healthcheck", "run", workers[0]]).status) == 0 },
                "the worker's health check never passed: \(engine.logs(workers[0], tail: 20))")
        // The workers frozen instead: the coordinator runs but cannot finish an iteration, and
        // its health check (GET /health) passes.
        try #require(try engine.podman(["pause"] + workers).status == 0)
        try #require(try engine.podman(["unpause", coordinator]).status == 0)
        #expect(waitUntil(seconds: 60) { (try? engine.podman(["healthcheck", "run", coordinator]).status) == 0 },
                "the coordinator's health check never passed: \(engine.logs(coordinator, tail: 20))")

        // A crash of the coordinator's process: the engine restarts the container and the run resumes.
        let before = try #require(try engine.state(coordinator))
        #expect(before.status == "running")
        let newestBeforeCrash = checkpoints(runDir).max() ?? 0
        #expect(kill(before.pid, SIGKILL) == 0)
        #expect(waitUntil(seconds: 120) { (try? engine.state(coordinator)).map { $0.restarts >= 1 && $0.status == "running" } == true },
                "the coordinator was not restarted: \(String(describing: try? engine.state(coordinator)))")

        // A worker killed for good; the other one, thawed, carries the run to its end.
        let killed = try engine.podman(["kill", workers[0]])
        #expect(killed.status == 0, "\(killed.output)")
        try #require(try engine.podman(["unpause", workers[1]]).status == 0)
        // It trains on after the restart: a checkpoint newer than any before the crash.
        #expect(waitUntil(seconds: 300) { (checkpoints(runDir).max() ?? 0) > newestBeforeCrash || coordinatorExited(engine, coordinator) })
        #expect((checkpoints(runDir).max() ?? 0) > newestBeforeCrash, "no checkpoint after the restart")

        try #require(waitUntil(seconds: 600) { coordinatorExited(engine, coordinator) },
                     "the coordinator did not finish: \(engine.logs(coordinator, tail: 40))")
        let end = try #require(try engine.state(coordinator))
        #expect(end.exitCode == 0, "\(engine.logs(coordinator, tail: 40))")
        #expect(end.restarts >= 1)
        let worker = try #require(try engine.state(workers[0]))
        #expect(worker.status == "exited" && worker.restarts == 0, "a killed worker container is not restarted")
        // The other worker is told the run is over and exits 0.
        #expect(waitUntil(seconds: 60) { (try? engine.state(workers[1]))?.status == "exited" })
        #expect((try engine.state(workers[1]))?.exitCode == 0, "\(engine.logs(workers[1], tail: 20))")
        #expect(try parametersSHA256(runDir) == expected, "the compose cluster's parameters differ from one process's")
        print("compose cluster: image \(tag), \(Self.iterations) sine-maml iterations through a coordinator crash and a worker kill, "
              + "\(String(format: "%.0f", Date().timeIntervalSince(started))) s including the image build and the host reference run")
    }

    /// This build's binary and the Swift runtime libraries it links (resolved by `ldd` in the
    /// toolchain), staged together in deploy/bin/ for the Dockerfile's `prebuilt` stage: the
    /// binary's run path holds `$ORIGIN`, so it finds them next to itself in the image.
    func stageBinary() throws {
        let bin = repositoryRoot.appendingPathComponent("deploy/bin")
        let fm = FileManager.default
        try? fm.removeItem(at: bin)
        try fm.createDirectory(at: bin, withIntermediateDirectories: true)
        try fm.copyItem(at: metatrainBinary, to: bin.appendingPathComponent("metatrain"))
        let ldd = try run("/usr/bin/ldd", [metatrainBinary.path])
        try #require(ldd.status == 0, "ldd \(metatrainBinary.path): \(ldd.output)")
        let runtime = ldd.output.split(separator: "\n").compactMap { line -> String? in
            line.split(separator: " ").first(where: { $0.hasPrefix("/") && $0.contains("/swift/linux/") }).map(String.init)
        }
        for library in runtime {
            let source = URL(fileURLWithPath: library)
            try fm.copyItem(at: source.resolvingSymlinksInPath(), to: bin.appendingPathComponent(source.lastPathComponent))
        }
    }

    func buildImage(_ engine: ContainerEngine, tag: String) throws {
        try stageBinary()
        let build = try engine.podman(["build", "--quiet", "-f", repositoryRoot.appendingPathComponent("deploy/Dockerfile").path,
                                       "--target", "prebuilt", "-t", tag, repositoryRoot.path])
        try #require(build.status == 0, "podman build failed: \(build.output.suffix(3_000))")
    }

    /// Non-root, no compiler, and its size printed for the record.
    func checkImage(_ engine: ContainerEngine, tag: String) throws {
        let user = try engine.podman(["run", "--rm", "--entrypoint", "id", tag, "-u"])
        #expect(user.output.trimmingCharacters(in: .whitespacesAndNewlines) == "10001", "\(user.output)")
        let compilers = try engine.podman(["run", "--rm", "--entrypoint", "bash", tag, "-c",
                                           "for c in cc gcc clang swiftc swift ld; do command -v $c; done; true"])
        #expect(compilers.status == 0 && compilers.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
                "the image holds a compiler: \(compilers.output)")
        let version = try engine.podman(["run", "--rm", tag, "checkpoint", "--help"])
        #expect(version.status == 0, "the binary does not run in the image: \(version.output.suffix(1_000))")
        let size = try engine.podman(["image", "inspect", "--format", "{{.Size}}", tag]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        print("image \(tag): \(Int(size).map { "\($0 / 1_000_000) MB" } ?? size)")
    }
}

/// The iterations of the checkpoints in a run directory.
func checkpoints(_ runDir: URL) -> [Int] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: runDir.path)) ?? []
    return names.compactMap { name in
        guard name.hasPrefix("iteration-"), name.hasSuffix(".ckpt") else { return nil }
        return Int(name.dropFirst("iteration-".count).dropLast(".ckpt".count))
    }
}

func coordinatorExited(_ engine: ContainerEngine, _ name: String) -> Bool {
    (try? engine.state(name))?.status == "exited"
}

/// `parameters_sha256` of a run directory's newest checkpoint (`metatrain checkpoint inspect --json`).
func parametersSHA256(_ runDir: URL) throws -> String {
    let r = try run(metatrainBinary.path, ["checkpoint", "inspect", runDir.path, "--json"])
    guard r.status == 0, let data = r.output.data(using: .utf8),
          let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
          let sha = object["parameters_sha256"] as? String else {
        Issue.record("checkpoint inspect \(runDir.path) failed: \(r.output.suffix(1_000))")
        return ""
    }
    return sha
}

/// Polls `condition` every `every` seconds until it holds or `seconds` pass (a guard against a
/// hung cluster, not a measurement).
func waitUntil(seconds: Double, every: Double = 0.5, _ condition: () throws -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if (try? condition()) == true { return true }
        usleep(useconds_t(every * 1_000_000))
    }
    return (try? condition()) == true
}
