import Foundation
import Testing
import MetaTestKit
import MetaCheckpoint

/// Real `metatrain` processes for the integration tests: the binary SwiftPM built next to
/// this test bundle, run in temporary directories, with real sockets on 127.0.0.1.
enum Cluster {
    /// The `metatrain` executable of this build.
    static let binary = BuiltProducts.metatrain

    /// A fresh temporary directory.
    static func temporaryDirectory(_ label: String) -> URL { BuiltProducts.temporaryDirectory(label) }

    /// A TCP port that was free a moment ago (for a coordinator that must come back on it).
    static func freePort() -> Int { BuiltProducts.freePort() }

    /// A started process whose output goes to a file in `directory`.
    final class Child: @unchecked Sendable {
        let process = Process()
        let output: URL

        init(_ arguments: [String], directory: URL, label: String, executable: URL = Cluster.binary,
             environment: [String: String]? = nil, workingDirectory: URL? = nil) throws {
            output = directory.appendingPathComponent("\(label).log")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            let handle = try FileHandle(forWritingTo: output)
            process.executableURL = executable
            if let environment { process.environment = environment }
            if let workingDirectory { process.currentDirectoryURL = workingDirectory }
            process.arguments = arguments
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        }

        /// `ip ARGUMENTS` (e.g. `netns exec NS metatrain …`).
        static func wrapped(_ arguments: [String], directory: URL, label: String, environment: [String: String]? = nil) throws -> Child {
            try Child(arguments, directory: directory, label: label, executable: URL(fileURLWithPath: "/usr/sbin/ip"),
                      environment: environment)
        }

        var log: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

        /// Waits for exit (killing the process after `seconds`) and returns the status. The
        /// default only guards against a hang: tests overlap, so on a loaded machine a run may
        /// take several times its time alone.
        @discardableResult
        func wait(seconds: Double = 600) -> Int32 {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
            process.waitUntilExit()
            return process.terminationStatus
        }

        func kill9() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    }

    /// Runs `metatrain ARGS` to completion.
    @discardableResult
    static func run(_ arguments: [String], directory: URL, label: String, seconds: Double = 600) throws -> (status: Int32, log: String) {
        let child = try Child(arguments, directory: directory, label: label)
        let status = child.wait(seconds: seconds)
        return (status, child.log)
    }

    /// Polls `condition` every 20 ms for up to `seconds`.
    static func waitFor(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    /// The endpoint a coordinator wrote into its run directory.
    static func endpoint(in runDirectory: URL, seconds: Double = 30) -> String? {
        let file = runDirectory.appendingPathComponent("coordinator.endpoint")
        var text: String?
        _ = waitFor(seconds: seconds) {
            text = (try? String(contentsOf: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            return text?.isEmpty == false
        }
        return text
    }

    /// The SHA-256 of the parameters in a run's final checkpoint.
    static func finalParameters(_ runDirectory: URL) throws -> String {
        try RunCheckpoint.read(from: runDirectory.appendingPathComponent("final.ckpt")).parametersSHA256
    }

    /// Heartbeat options that make fault tests quick.
    static let fastHeartbeat = ["--heartbeat-interval", "0.2", "--heartbeat-timeout", "1.5"]

    /// The reference result: `train --workers 0` for `arguments` (cached per argument list).
    nonisolated(unsafe) private static var references: [[String]: String] = [:]
    private static let lock = NSLock()

    static func reference(_ arguments: [String]) throws -> String {
        if let known = lock.withLock({ references[arguments] }) { return known }
        let dir = temporaryDirectory("reference")
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try Cluster.run(["train"] + arguments + ["--workers", "0", "--run-dir", dir.path], directory: dir, label: "reference")
        #expect(run.status == 0, "reference run failed: \(run.log)")
        let sha = try finalParameters(dir)
        lock.withLock { references[arguments] = sha }
        return sha
    }
}
