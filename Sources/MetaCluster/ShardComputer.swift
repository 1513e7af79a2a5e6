import Foundation
import MetaTensor
import MetaNN
import MetaAlgorithms
import MetaRuntime

/// Runs a worker's shards on a dedicated compute thread, so the socket thread keeps
/// answering heartbeats while a shard is computed.
///
/// One shard at a time: ``submit(_:)`` hands over an assignment, the thread computes it and
/// makes ``fileDescriptor`` readable; ``take()`` then returns the outcome. The socket
/// thread never touches the trainer, the compute thread never touches a socket.
final class ShardComputer: @unchecked Sendable {
    enum Outcome {
        case computed(ResultMessage)
        case failed(String)
    }

    /// What the worker computes for its job.
    enum Job {
        /// Meta-training: shards of the trainer's iterations.
        case training(MetaTrainer<Float>)
        /// Another kind of job (``ClusterJob``): per-item scalars, no parameters.
        case custom(any ClusterJob)
    }

    let faults: WorkerFaults
    private let lock = NSLock()
    private let work = DispatchSemaphore(value: 0)
    private var queue: [(AssignmentMessage, Job)] = []
    private var outcomes: [Outcome] = []
    private var held: (version: UInt64, parameters: Parameters<Tensor<Float>>)?
    private var fds: [Int32] = [-1, -1]
    private var closing = false
    private var hugeDone = false
    /// The iteration whose shards this worker answers with NaN losses (``WorkerFaults/nanAtIteration``),
    /// once it has received one.
    private var nanIteration: UInt64?

    init(faults: WorkerFaults = WorkerFaults()) {
        self.faults = faults
        _ = pipe(&fds)
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        let thread = Thread { [self] in loop() }
        thread.name = "shard-compute"
        thread.stackSize = 64 << 20
        thread.start()
    }

    /// Readable when an outcome is waiting.
    var fileDescriptor: Int32 { fds[0] }

    func submit(_ assignment: AssignmentMessage, job: Job) {
        lock.withLock { queue.append((assignment, job)) }
        work.signal()
    }

    /// The outcomes finished since the last call, in order.
    func take() -> [Outcome] {
        var sink = [UInt8](repeating: 0, count: 64)
        while read(fds[0], &sink, sink.count) > 0 {}
        return lock.withLock { defer { outcomes = [] }; return outcomes }
    }

    /// Stops the thread after the shard in progress.
    func close() {
        lock.withLock { closing = true }
        work.signal()
    }

    private func loop() {
        while true {
            work.wait()
            let next = lock.withLock { () -> (AssignmentMessage, Job)? in
                closing ? nil : (queue.isEmpty ? nil : queue.removeFirst())
            }
            if lock.withLock({ closing }) { return }
            guard let (assignment, job) = next else { continue }
            let outcome: Outcome
            switch job {
            case .training(let trainer): outcome = compute(assignment, trainer: trainer)
            case .custom(let custom): outcome = compute(assignment, job: custom)
            }
            lock.withLock { outcomes.append(outcome) }
            var byte: UInt8 = 1
            _ = write(fds[1], &byte, 1)
        }
    }

    /// The kill and hang faults, on receiving an assignment of their iteration or a later one.
    private func injectProcessFaults(_ a: AssignmentMessage) {
        if let k = faults.killAtIteration, a.iteration >= k { kill(getpid(), SIGKILL) }
        if let h = faults.hangAtIteration, a.iteration >= h { kill(getpid(), SIGSTOP) }
    }

    /// An assignment of a ``ClusterJob``: each item's scalars (no parameters, no gradients).
    private func compute(_ a: AssignmentMessage, job: any ClusterJob) -> Outcome {
        injectProcessFaults(a)
        let start = MonotonicClock.seconds
        let answers: [[Double]]
        do { answers = try job.answers(a) } catch { return .failed("\(error)") }
        guard answers.count == a.taskIndices.count, answers.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
            return .failed("the job answered \(answers.count) items with non-finite or missing values for \(a.taskIndices.count) items")
        }
        let seconds = (MonotonicClock.seconds - start) / Double(max(1, a.taskIndices.count))
        let outcomes = zip(a.taskIndices, answers).map { index, scalars in
            ResultMessage.TaskOutcome(index: index, loss: 0, metric: 0, metaGradient: [], computeSeconds: seconds, scalars: scalars)
        }
        return .computed(ResultMessage(iteration: a.iteration, parameterVersion: a.parameterVersion, round: a.round, tasks: outcomes))
    }

    private func compute(_ a: AssignmentMessage, trainer: MetaTrainer<Float>) -> Outcome {
        injectProcessFaults(a)
        if nanIteration == nil, let n = faults.nanAtIteration, a.iteration >= n { nanIteration = a.iteration }
        let parameters: Parameters<Tensor<Float>>
        if a.carriesParameters {
            do { parameters = try ParameterCoding.decode(a.parameters, as: Float.self) } catch {
                return .failed("the parameters of version \(a.parameterVersion) do not decode: \(error)")
            }
            held = (a.parameterVersion, parameters)
        } else if let held, held.version == a.parameterVersion {
            parameters = held.parameters
        } else {
            return .failed("no parameters for version \(a.parameterVersion)")
        }
        let config = trainer.configuration
        guard a.iteration <= UInt64(Int.max) else { return .failed("iteration \(a.iteration) is out of range") }
        let block = MetaGradient.blockSize, b = config.metaBatchSize
        // Rounds of a learner's own work may have fewer items than the meta-batch, so only the
        // meta-gradient round's last block is known to end at the meta-batch's end.
        guard let first = a.taskIndices.first, let last = a.taskIndices.last, Int(last) < b,
              a.taskIndices == Array(first...last), Int(first) % block == 0,
              (Int(last) + 1) % block == 0 || Int(last) + 1 == b || a.work != 0
        else {
            return .failed("task indices \(a.taskIndices) are not whole reduction blocks of \(block) within the meta-batch of \(b)")
        }
        if a.work != 0 { return computeWork(a, parameters: parameters, trainer: trainer) }
        let start = MonotonicClock.seconds
        let tasks = a.taskIndices.map { trainer.task(iteration: Int(a.iteration), index: Int($0)) }
        let shard = config.algorithm.shardResult(model: trainer.model, parameters: parameters, tasks: tasks, inner: config.inner,
                                                 traced: trainer.tracedShards)
        let seconds = (MonotonicClock.seconds - start) / Double(max(1, tasks.count))
        let faulty = nanIteration == a.iteration
        // Finite, but large enough that a sum of two overflows: an update that is not finite.
        // Once: a recomputation of the iteration by this worker is correct.
        let huge = faults.hugeAtIteration == a.iteration && !hugeDone
        if huge { hugeDone = true }
        let sums = huge ? shard.blockSums.map { $0.map { Tensor<Float>(repeating: 3e38, shape: $0.shape) } } : shard.blockSums
        // One block sum per reduction block, carried by the block's first task (see MetaGradient).
        let outcomes = a.taskIndices.enumerated().map { k, index in
            ResultMessage.TaskOutcome(index: index, loss: faulty ? .nan : shard.losses[k], metric: shard.metrics[k],
                                      metaGradient: k % block == 0 ? ParameterCoding.encode(sums[k / block]) : [],
                                      computeSeconds: seconds)
        }
        return .computed(ResultMessage(iteration: a.iteration, parameterVersion: a.parameterVersion, round: a.round, tasks: outcomes))
    }

    /// A round of the learner's own work (``MetaAlgorithms/Learner/workResult(trainer:work:payload:iteration:items:parameters:)``):
    /// block sums carried by each block's first item, or each item's scalars.
    private func computeWork(_ a: AssignmentMessage, parameters: Parameters<Tensor<Float>>, trainer: MetaTrainer<Float>) -> Outcome {
        let block = MetaGradient.blockSize
        let start = MonotonicClock.seconds
        guard let shard = trainer.configuration.algorithm.learner.workResult(
            trainer: trainer, work: a.work, payload: a.payload, iteration: Int(a.iteration), items: a.taskIndices.map { Int($0) },
            parameters: parameters)
        else { return .failed("\(trainer.configuration.algorithm) computes no work \(a.work)") }
        let seconds = (MonotonicClock.seconds - start) / Double(max(1, a.taskIndices.count))
        let faulty = nanIteration == a.iteration
        let outcomes = a.taskIndices.enumerated().map { k, index in
            ResultMessage.TaskOutcome(index: index, loss: faulty ? .nan : shard.losses[k], metric: shard.metrics[k],
                                      metaGradient: !shard.blockSums.isEmpty && k % block == 0 ? ParameterCoding.encode(shard.blockSums[k / block]) : [],
                                      computeSeconds: seconds, scalars: shard.scalars.isEmpty ? [] : shard.scalars[k])
        }
        return .computed(ResultMessage(iteration: a.iteration, parameterVersion: a.parameterVersion, round: a.round, tasks: outcomes))
    }
}

/// Faults a worker injects into itself, for the fault-tolerance tests (hidden CLI options).
public struct WorkerFaults: Sendable {
    /// Answer every shard of the first iteration at or after this one that it is given with
    /// NaN losses (a faulty machine). "At or after": a worker is not sure to get a shard of one
    /// given iteration, so a fault keyed to exactly that iteration could never happen.
    public var nanAtIteration: UInt64?
    /// `kill -9` itself on receiving a shard of this iteration or a later one (a crash mid-iteration).
    public var killAtIteration: UInt64?
    /// Stop itself (SIGSTOP) on receiving a shard of this iteration or a later one (a hung machine).
    public var hangAtIteration: UInt64?
    /// Answer the first shard of this iteration with finite block sums of 3e38 (a corrupt or
    /// hostile worker whose results make the update overflow when it has two blocks or more).
    public var hugeAtIteration: UInt64?

    public init(nanAtIteration: UInt64? = nil, killAtIteration: UInt64? = nil, hangAtIteration: UInt64? = nil,
                hugeAtIteration: UInt64? = nil) {
        self.hugeAtIteration = hugeAtIteration
        self.nanAtIteration = nanAtIteration
        self.killAtIteration = killAtIteration
        self.hangAtIteration = hangAtIteration
    }
}
