import Testing
import Foundation
import MetaCheckpoint

/// Counts the writes running at once (the writer must never run two).
final class InFlightCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var current = 0
    private(set) var maximum = 0
    private(set) var started: [String] = []

    func enter(_ name: String) {
        lock.lock(); defer { lock.unlock() }
        current += 1; maximum = max(maximum, current); started.append(name)
    }

    func leave() {
        lock.lock(); defer { lock.unlock() }
        current -= 1
    }

    var snapshot: (maximum: Int, started: [String]) {
        lock.lock(); defer { lock.unlock() }
        return (maximum, started)
    }
}

/// Background checkpoint writes: the same bytes as a synchronous write, one at a time, and
/// errors reported to the caller exactly once.
@Suite struct AsyncCheckpointWriterTests {
    @Test func flushMakesTheFileReadableAndIdenticalToASynchronousWrite() throws {
        let syncDir = try RunCheckpointTests.temporaryDirectory(), asyncDir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: syncDir); try? FileManager.default.removeItem(at: asyncDir) }
        let checkpoint = RunCheckpointTests.smallV2(iteration: 12)
        try CheckpointStore(directory: syncDir, keep: 3).write(checkpoint, name: "iteration-12.ckpt")

        let writer = AsyncCheckpointWriter(store: CheckpointStore(directory: asyncDir, keep: 3))
        let stall = try writer.submit(checkpoint, name: "iteration-12.ckpt")
        #expect(stall >= 0)
        writer.flush()
        let written = try Data(contentsOf: asyncDir.appendingPathComponent("iteration-12.ckpt"))
        #expect(written == (try Data(contentsOf: syncDir.appendingPathComponent("iteration-12.ckpt"))))
        #expect(try Data(contentsOf: asyncDir.appendingPathComponent("manifest.json"))
                == (try Data(contentsOf: syncDir.appendingPathComponent("manifest.json"))))
        #expect(try RunCheckpoint.read(from: asyncDir.appendingPathComponent("iteration-12.ckpt")).iteration == 12)

        let reports = writer.completed
        #expect(reports.count == 1)
        #expect(reports.first?.name == "iteration-12.ckpt" && reports.first?.iteration == 12 && reports.first?.bytes == written.count)
        #expect(reports.first?.stallSeconds == stall)
        #expect((reports.first?.seconds ?? -1) >= 0)
        writer.close()
    }

    @Test func quickSubmitsNeverHaveTwoWritesInFlightAndKeepTheirOrder() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = CheckpointStore(directory: dir, keep: 10)
        let counter = InFlightCounter()
        let writer = AsyncCheckpointWriter { checkpoint, name in
            counter.enter(name)
            defer { counter.leave() }
            Thread.sleep(forTimeInterval: 0.02)  // widens the window in which a second write could start
            return try store.write(checkpoint, name: name)
        }
        let names = (1...4).map { CheckpointStore.periodicName(iteration: $0) }
        for (i, name) in names.enumerated() { try writer.submit(RunCheckpointTests.smallV2(iteration: i + 1), name: name) }
        writer.flush()
        let seen = counter.snapshot
        #expect(seen.maximum == 1)
        #expect(seen.started == names)
        #expect(writer.completed.map(\.name) == names)
        #expect(try store.newest().checkpoint.iteration == 4)
    }

    @Test func takeCompletedReturnsEachReportOnce() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = AsyncCheckpointWriter(store: CheckpointStore(directory: dir, keep: 10))
        try writer.submit(RunCheckpointTests.smallV2(iteration: 1), name: "iteration-1.ckpt")
        writer.flush()
        #expect(writer.takeCompleted().map(\.name) == ["iteration-1.ckpt"])
        #expect(writer.takeCompleted().isEmpty)
        try writer.submit(RunCheckpointTests.smallV2(iteration: 2), name: "iteration-2.ckpt")
        writer.flush()
        #expect(writer.takeCompleted().map(\.name) == ["iteration-2.ckpt"])
        #expect(writer.completed.count == 2)
    }

    /// A directory that cannot be created, even by root: its parent is a regular file.
    static func unwritableDirectory() throws -> (URL, cleanup: URL) {
        let base = try RunCheckpointTests.temporaryDirectory()
        let file = base.appendingPathComponent("not-a-directory")
        try Data("x".utf8).write(to: file)
        return (file.appendingPathComponent("run"), base)
    }

    @Test func aFailedBackgroundWriteIsReportedOnceAndNotThrown() throws {
        let (dir, base) = try Self.unwritableDirectory()
        defer { try? FileManager.default.removeItem(at: base) }
        let writer = AsyncCheckpointWriter(store: CheckpointStore(directory: dir, keep: 2))
        try writer.submit(RunCheckpointTests.smallV2(iteration: 3), name: "iteration-3.ckpt")
        writer.flush()
        let failures = writer.takeFailures()
        #expect(failures.map(\.name) == ["iteration-3.ckpt"])
        #expect(failures.first?.iteration == 3)
        #expect(failures.first?.reason.contains(dir.path) == true, "\(failures)")
        #expect(writer.takeFailures().isEmpty)  // reported once
        #expect(writer.failures.count == 1)
        #expect(writer.completed.isEmpty)
    }

    @Test func theCheckpointAfterAFailedOneIsHandedOverAndWrittenOnceTheDiskAllows() throws {
        let (dir, base) = try Self.unwritableDirectory()
        defer { try? FileManager.default.removeItem(at: base) }
        let writer = AsyncCheckpointWriter(store: CheckpointStore(directory: dir, keep: 2))
        try writer.submit(RunCheckpointTests.smallV2(iteration: 3), name: "iteration-3.ckpt")
        writer.flush()
        #expect(writer.takeFailures().map(\.name) == ["iteration-3.ckpt"])

        // The obstacle goes away (as a full disk frees up); the next interval's checkpoint is written.
        try FileManager.default.removeItem(at: dir.deletingLastPathComponent())
        try writer.submit(RunCheckpointTests.smallV2(iteration: 4), name: "iteration-4.ckpt")
        writer.flush()
        #expect(writer.takeFailures().isEmpty)
        #expect(writer.takeCompleted().map(\.name) == ["iteration-4.ckpt"])
        #expect(try RunCheckpoint.read(from: dir.appendingPathComponent("iteration-4.ckpt")).iteration == 4)
        #expect(try CheckpointStore(directory: dir, keep: 2).newest().checkpoint.iteration == 4)
    }

    @Test func closeFinishesThePendingWriteAndLaterSubmitsThrow() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = AsyncCheckpointWriter(store: CheckpointStore(directory: dir, keep: 2))
        try writer.submit(RunCheckpointTests.smallV2(iteration: 5), name: "iteration-5.ckpt")
        writer.close()
        #expect(try RunCheckpoint.read(from: dir.appendingPathComponent("iteration-5.ckpt")).iteration == 5)
        #expect(throws: CheckpointError.self) { try writer.submit(RunCheckpointTests.smallV2(), name: "iteration-6.ckpt") }
        writer.close()  // idempotent
    }

    @Test func droppingTheWriterFinishesThePendingWrite() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            let writer = AsyncCheckpointWriter(store: CheckpointStore(directory: dir, keep: 2))
            try writer.submit(RunCheckpointTests.smallV2(iteration: 8), name: "iteration-8.ckpt")
        }
        #expect(try RunCheckpoint.read(from: dir.appendingPathComponent("iteration-8.ckpt")).iteration == 8)
    }
}
