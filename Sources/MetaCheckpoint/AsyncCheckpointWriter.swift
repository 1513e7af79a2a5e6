import Foundation

/// Writes checkpoints on one background thread so that training does not wait for the disk.
///
/// Contract:
/// - At most one write is in flight. ``submit(_:name:)`` hands a checkpoint over and returns
///   at once, unless the previous write is still running, in which case it waits for that
///   one to finish first; it returns the seconds it waited. Handing over is cheap: tensors
///   are copy-on-write values, so the caller keeps training on its own copy while encoding,
///   hashing and writing happen on the background thread.
/// - Writes happen in submission order; ``flush()`` waits until the last one has finished.
/// - A failed background write never stops the writer and is never thrown at the trainer:
///   it is recorded as a ``CheckpointWriteFailure`` (``failures``, and once through
///   ``takeFailures()``), and the next ``submit(_:name:)`` is handed over as usual. A run
///   that checkpoints every N iterations therefore retries at its next interval, with the
///   newer state, while training goes on (a full disk that frees up costs one interval, not
///   the run). Whether to give up is the caller's decision, e.g. when the final checkpoint
///   fails too.
/// - ``completed`` lists the reports of the finished writes, in order, for logging, each
///   with the stall of the submit that handed it over (``CheckpointWriteReport/stallSeconds``).
/// - ``close()`` (and `deinit`) finishes the pending write and joins the thread.
///
/// Threading: every method may be called from any thread; the writer is meant to be driven
/// by one training loop.
public final class AsyncCheckpointWriter: Sendable {
    /// How a checkpoint is written; called on the background thread, one call at a time.
    public typealias Write = @Sendable (_ checkpoint: RunCheckpoint, _ name: String) throws -> CheckpointWriteReport

    private let shared: Shared

    /// A writer into `store` (``CheckpointStore/write(_:name:)``: manifest and retention included).
    public convenience init(store: CheckpointStore) {
        self.init(write: { checkpoint, name in try store.write(checkpoint, name: name) })
    }

    /// A writer that calls `write` on its background thread for each submitted checkpoint.
    public init(write: @escaping Write) {
        shared = Shared(write: write)
        let shared = self.shared
        // The thread holds only the shared state, never `self`, so `deinit` can run and join it.
        let thread = Thread { shared.run() }
        thread.name = "metatrain.checkpoint-writer"
        thread.start()
    }

    deinit { close() }

    /// Hands `checkpoint` over to be written as `name`.
    /// - Returns: the seconds the caller waited for the previous write (0 when none was running).
    /// - Throws: ``CheckpointError`` after ``close()`` (a failed earlier write is not thrown:
    ///   see ``takeFailures()``).
    @discardableResult
    public func submit(_ checkpoint: RunCheckpoint, name: String) throws -> Double {
        let clock = ContinuousClock(), start = clock.now
        let c = shared.condition
        c.lock(); defer { c.unlock() }
        while shared.busy { c.wait() }
        let waited = start.duration(to: clock.now).components
        guard !shared.closing else { throw CheckpointError("cannot write checkpoint \(name): the checkpoint writer is closed") }
        let stall = Double(waited.seconds) + Double(waited.attoseconds) * 1e-18
        shared.job = (checkpoint, name, stall)
        c.broadcast()
        return stall
    }

    /// Waits until every submitted checkpoint is written or has failed (see ``takeFailures()``).
    public func flush() {
        let c = shared.condition
        c.lock(); defer { c.unlock() }
        while shared.busy { c.wait() }
    }

    /// The reports of all finished writes, in order.
    public var completed: [CheckpointWriteReport] {
        shared.condition.lock(); defer { shared.condition.unlock() }
        return shared.reports
    }

    /// The reports of the writes finished since the last call, in order (for logging each once).
    public func takeCompleted() -> [CheckpointWriteReport] {
        shared.condition.lock(); defer { shared.condition.unlock() }
        let new = Array(shared.reports[shared.taken...])
        shared.taken = shared.reports.count
        return new
    }

    /// The failed writes, in order.
    public var failures: [CheckpointWriteFailure] {
        shared.condition.lock(); defer { shared.condition.unlock() }
        return shared.failures
    }

    /// The writes failed since the last call, in order (for reporting each once).
    public func takeFailures() -> [CheckpointWriteFailure] {
        shared.condition.lock(); defer { shared.condition.unlock() }
        let new = Array(shared.failures[shared.failuresTaken...])
        shared.failuresTaken = shared.failures.count
        return new
    }

    /// Finishes the pending write, stops the background thread and waits for it to exit.
    /// Idempotent; later submits throw. A failure of the pending write is in ``failures``.
    public func close() {
        let c = shared.condition
        c.lock(); defer { c.unlock() }
        shared.closing = true
        c.broadcast()
        while !shared.exited { c.wait() }
    }

    /// The state shared with the background thread; every field is guarded by `condition`.
    private final class Shared: @unchecked Sendable {
        let condition = NSCondition()
        let write: Write
        /// The checkpoint handed over and not yet taken by the thread.
        var job: (checkpoint: RunCheckpoint, name: String, stall: Double)?
        /// Whether the thread is writing.
        var writing = false
        var failures: [CheckpointWriteFailure] = []
        /// How many failures ``takeFailures()`` has returned.
        var failuresTaken = 0
        var reports: [CheckpointWriteReport] = []
        /// How many reports ``takeCompleted()`` has returned.
        var taken = 0
        var closing = false
        var exited = false

        init(write: @escaping Write) { self.write = write }

        /// Whether a write is pending or running.
        var busy: Bool { job != nil || writing }

        /// The background thread's loop: take a job, write it without the lock, record the result.
        func run() {
            condition.lock()
            while true {
                while job == nil && !closing { condition.wait() }
                guard let (checkpoint, name, stall) = job else { break }  // closing, nothing left to write
                job = nil
                writing = true
                condition.unlock()
                let result = Result { try write(checkpoint, name) }
                condition.lock()
                writing = false
                switch result {
                case var .success(report):
                    report.stallSeconds = stall
                    reports.append(report)
                case let .failure(e):
                    failures.append(CheckpointWriteFailure(name: name, iteration: checkpoint.iteration, reason: "\(e)"))
                }
                condition.broadcast()
            }
            exited = true
            condition.broadcast()
            condition.unlock()
        }
    }
}

/// A background checkpoint write that failed (``AsyncCheckpointWriter/takeFailures()``).
public struct CheckpointWriteFailure: Sendable, Equatable {
    /// The checkpoint's file name.
    public var name: String
    /// The checkpoint's iteration.
    public var iteration: Int
    /// The error, as one line (e.g. `cannot write DIR/iteration-200.ckpt: No space left on device`).
    public var reason: String

    public init(name: String, iteration: Int, reason: String) {
        self.name = name; self.iteration = iteration; self.reason = reason
    }
}
