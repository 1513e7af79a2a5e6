import Foundation
import Testing
import MetaCheckpoint

/// A full disk or a reader that went away costs records, never the run: metrics written to a
/// full device, a closed standard output and error, and checkpoints on a file system that
/// fills up and frees again (a real tmpfs in a private mount namespace).
@Suite struct DiskFailureTests {
    static let quick = ["--preset", "sine-maml", "--eval-tasks", "4"]

    @Test func metricsOnAFullDeviceAreReportedOnceAndTheRunFinishes() throws {
        let dir = Cluster.temporaryDirectory("devfull")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Every write to /dev/full fails with ENOSPC, like a full disk under metrics.jsonl.
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("metrics.jsonl").path,
                                                   withDestinationPath: "/dev/full")
        let run = try Cluster.run(["train"] + Self.quick + ["--iterations", "250", "--checkpoint-every", "100",
                                                            "--run-dir", dir.path], directory: dir, label: "train")
        #expect(run.status == 0, "\(run.log)")
        let reports = run.log.split(separator: "\n").filter { $0.contains("cannot write") && $0.contains("metrics.jsonl") }
        #expect(reports.count == 1, "\(run.log)")
        #expect(reports.first?.contains("No space left on device") == true, "\(run.log)")
        #expect(run.log.contains("metrics record(s) could not be written"), "\(run.log)")
        #expect(try RunCheckpoint.read(from: dir.appendingPathComponent("final.ckpt")).iteration == 250)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("evaluation.json").path))
    }

    @Test func aClosedStandardOutputAndErrorDoNotKillTheRun() throws {
        let dir = Cluster.temporaryDirectory("epipe")
        defer { try? FileManager.default.removeItem(at: dir) }
        let process = Process()
        process.executableURL = Cluster.binary
        // --log-format json and a leftover file make the run log on standard error too.
        try Data("x".utf8).write(to: dir.appendingPathComponent(".final.ckpt.tmp-1"))
        process.arguments = ["train"] + Self.quick + ["--iterations", "20", "--run-dir", dir.path, "--log-format", "json"]
        // Pipes whose read ends are closed before the child starts: every write it makes gets
        // EPIPE (and SIGPIPE, were it not ignored).
        var fds: [Int32] = [-1, -1, -1, -1]
        #expect(pipe(&fds) == 0 && fds.withUnsafeMutableBufferPointer { pipe($0.baseAddress! + 2) } == 0)
        close(fds[0]); close(fds[2])
        let out = FileHandle(fileDescriptor: fds[1], closeOnDealloc: true), err = FileHandle(fileDescriptor: fds[3], closeOnDealloc: true)
        process.standardOutput = out
        process.standardError = err
        try process.run()
        try out.close(); try err.close()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(process.terminationReason == .exit, "killed by signal \(process.terminationStatus)")
        #expect(process.terminationStatus == 0)
        #expect(try RunCheckpoint.read(from: dir.appendingPathComponent("final.ckpt")).iteration == 20)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("evaluation.json").path))
    }

    /// `unshare --mount` with a private tmpfs works here (root, util-linux): checked, not assumed.
    static let privateMountsWork: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        p.arguments = ["--mount", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    static func records(_ metrics: URL) -> [[String: Any]] {
        let text = (try? String(contentsOf: metrics, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    @Test(.enabled(if: privateMountsWork, "needs unshare --mount and tmpfs (root)"))
    func aCheckpointFailingOnAFullDiskIsReportedAndTrainingGoesOnToALaterCheckpoint() throws {
        let dir = Cluster.temporaryDirectory("fulldisk")
        defer { try? FileManager.default.removeItem(at: dir) }
        let disk = dir.appendingPathComponent("disk"), run = disk.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        let metrics = dir.appendingPathComponent("metrics.jsonl")
        let port = Cluster.freePort()
        // A 1 MiB tmpfs visible only to the run, filled but for 16 KiB: room for config.yaml
        // and the lock, not for a checkpoint (about 22 KB). metrics.jsonl lives outside it.
        let script = """
            set -e
            mount -t tmpfs -o size=1m tmpfs '\(disk.path)'
            mkdir '\(run.path)'
            ln -s '\(metrics.path)' '\(run.path)/metrics.jsonl'
            dd if=/dev/zero of='\(disk.path)/filler' bs=4k 2>/dev/null || true
            truncate -s -16k '\(disk.path)/filler'
            exec '\(Cluster.binary.path)' train \(Self.quick.joined(separator: " ")) --iterations 1000000 \
                --checkpoint-every 100 --run-dir '\(run.path)' --metrics-bind 127.0.0.1:\(port)
            """
        let child = try Cluster.Child(["--mount", "sh", "-c", script], directory: dir, label: "train",
                                      executable: URL(fileURLWithPath: "/usr/bin/unshare"))
        defer { child.kill9() }
        // The run's view of its disk, through its mount namespace.
        let inside = URL(fileURLWithPath: "/proc/\(child.process.processIdentifier)/root\(disk.path)")

        var failed: [String: Any]?
        #expect(Cluster.waitFor(seconds: 60) {
            failed = Self.records(metrics).first { $0["kind"] as? String == "checkpoint_failed" }
            return failed != nil
        }, "no checkpoint_failed record:\n\(child.log)")
        let failedIteration = try #require(failed?["iteration"] as? Int, "\(child.log)")
        #expect((failed?["error"] as? String)?.contains("No space left on device") == true, "\(String(describing: failed))")
        #expect(failed?["path"] as? String == "iteration-\(failedIteration).ckpt")
        #expect(child.log.contains("checkpoint iteration-\(failedIteration).ckpt failed"), "\(child.log)")
        #expect(child.process.isRunning, "the failed checkpoint stopped the run:\n\(child.log)")
        #expect((ObservabilityTests.sample(ObservabilityTests.get(port: port, path: "/metrics") ?? "",
                                           "metatrain_checkpoint_failures_total") ?? 0) >= 1)

        // The disk frees up: the next interval's checkpoint is written.
        try FileManager.default.removeItem(at: inside.appendingPathComponent("filler"))
        var written: Int?
        #expect(Cluster.waitFor(seconds: 60) {
            written = Self.records(metrics).compactMap { r -> Int? in
                guard r["kind"] as? String == "checkpoint", let i = r["iteration"] as? Int, i > failedIteration else { return nil }
                return i
            }.first
            return written != nil
        }, "no checkpoint after the failure:\n\(child.log)")
        let later = try #require(written)
        #expect(try RunCheckpoint.read(from: inside.appendingPathComponent("run/iteration-\(later).ckpt")).iteration == later)

        // And a stop signal still writes the last checkpoint.
        kill(child.process.processIdentifier, SIGTERM)
        #expect(child.wait(seconds: 60) == 143, "\(child.log)")
        #expect(child.log.contains("stopped by a signal at iteration"), "\(child.log)")
        let last = Self.records(metrics).last
        #expect(last?["kind"] as? String == "checkpoint" && (last?["iteration"] as? Int ?? 0) >= later, "\(String(describing: last))")
    }

    @Test(.enabled(if: privateMountsWork, "needs unshare --mount and tmpfs (root)"))
    func aDiskFullToTheEndReportsEveryFailedCheckpointAndStopsWithOneLineAtTheFinalOne() throws {
        let dir = Cluster.temporaryDirectory("fulltoend")
        defer { try? FileManager.default.removeItem(at: dir) }
        let disk = dir.appendingPathComponent("disk"), run = disk.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        let metrics = dir.appendingPathComponent("metrics.jsonl")
        let script = """
            set -e
            mount -t tmpfs -o size=1m tmpfs '\(disk.path)'
            mkdir '\(run.path)'
            ln -s '\(metrics.path)' '\(run.path)/metrics.jsonl'
            dd if=/dev/zero of='\(disk.path)/filler' bs=4k 2>/dev/null || true
            truncate -s -16k '\(disk.path)/filler'
            exec '\(Cluster.binary.path)' train \(Self.quick.joined(separator: " ")) --iterations 250 \
                --checkpoint-every 100 --run-dir '\(run.path)'
            """
        let child = try Cluster.Child(["--mount", "sh", "-c", script], directory: dir, label: "train",
                                      executable: URL(fileURLWithPath: "/usr/bin/unshare"))
        #expect(child.wait(seconds: 120) == 1, "\(child.log)")
        // Training ran to its end through two failed periodic checkpoints.
        let failed = Self.records(metrics).filter { $0["kind"] as? String == "checkpoint_failed" }
        #expect(failed.compactMap { $0["path"] as? String } == ["iteration-100.ckpt", "iteration-200.ckpt", "final.ckpt"],
                "\(failed)")
        #expect(failed.last?["failures"] as? Int == 3)
        #expect(Self.records(metrics).contains { $0["kind"] as? String == "train" && $0["iteration"] as? Int == 250 })
        let errors = child.log.split(separator: "\n").filter { $0.contains("cannot write the final checkpoint final.ckpt") }
        #expect(errors.count == 1, "\(child.log)")
        #expect(errors.first?.contains("No space left on device") == true && errors.first?.contains("no checkpoint of this run") == true,
                "\(child.log)")
    }
}
