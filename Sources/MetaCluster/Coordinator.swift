import Foundation
import MetaTensor
import MetaNN
import MetaAlgorithms
import MetaConfig
import MetaRuntime
import MetaTransport

/// The coordinator's event loop: moves bytes between a ``MetaRuntime/Transport`` and the
/// ``MetaRuntime/Scheduler`` (which decides everything about peers and shards), and reduces
/// completed iterations with the trainer.
///
/// **Why the result does not depend on the workers.** Iteration `t` has tasks 0…B−1, each
/// rebuilt by whichever worker computes it from (seed, t, index) and the parameters of
/// version t, with the same code (``MetaAlgorithms/Algorithm/shardResult``) the in-process
/// trainer runs. Meta-gradients travel as exact Float bytes. The coordinator waits until the
/// scheduler holds one accepted result for every index, then reduces them with
/// ``MetaTrainer/apply(blockSums:losses:metrics:to:)`` in index order 0…B−1, exactly as
/// `--workers 0` does. Arrival order, shard sizes, deadlines, reassignments after faults and
/// restarts therefore cannot change a single bit of the parameters.
///
/// **Faults.** See ``MetaRuntime/Scheduler``: lost workers, shards past their deadlines,
/// rejected results and failed sends all requeue the shard; an outer update that would make
/// the parameters non-finite is rolled back and its contributors dropped. Log lines about a
/// peer are limited to one a minute (``PeerLog``).
///
/// **Pauses.** Time the coordinator itself did not run (SIGSTOP, a VM pause, a laptop sleep)
/// is not counted as its workers' silence or as time spent on their shards (``LoopStall``).
/// Long work of its own (validation, the final evaluation) runs while ``service(until:)``
/// keeps the transport serviced.
public final class Coordinator {
    public struct Options {
        /// The ZeroMQ endpoint to bind (`tcp://0.0.0.0:5555`; port `*` picks a free one;
        /// `ipc://PATH`).
        public var bind: String
        public var minWorkers: Int
        public var heartbeat: HeartbeatSettings
        public var security: CoordinatorSecurity
        /// This process's build, BLAS kernels and numeric fingerprint.
        public var identity: BuildIdentity
        /// Accept workers whose identity differs (results are then not bit-identical).
        public var allowMixedBuilds: Bool
        public var deadlines: ShardDeadlines
        /// 0: synchronous (bit-identical whatever the workers). S > 0: bounded staleness:
        /// idle workers already compute iterations up to S ahead with the parameters at hand,
        /// so the shards of iteration t may come from parameters of versions t−S…t.
        public var staleness: Int = 0
        /// The most peers known at once.
        public var maxPeers: Int = 1024
        /// Checked every loop pass; true stops the run as a signal would.
        public var stopWhen: (() -> Bool)?
        /// Checked every loop pass; a description ends the run with that failure (e.g. every
        /// local worker process has exited, so no work can be done).
        public var failWhen: (() -> String?)?
        public var log: (String) -> Void

        public init(bind: String, minWorkers: Int = 1, heartbeat: HeartbeatSettings = HeartbeatSettings(),
                    security: CoordinatorSecurity = .plain, identity: BuildIdentity, allowMixedBuilds: Bool = false,
                    deadlines: ShardDeadlines = ShardDeadlines(), log: @escaping (String) -> Void) {
            self.bind = bind
            self.minWorkers = minWorkers
            self.heartbeat = heartbeat
            self.security = security
            self.identity = identity
            self.allowMixedBuilds = allowMixedBuilds
            self.deadlines = deadlines
            self.log = log
        }
    }

    /// What one iteration cost, for progress lines, metrics and benchmarks.
    public struct IterationReport: Sendable {
        public var metrics: MetaTrainer<Float>.IterationMetrics
        /// Wall seconds from the first assignment to the updated parameters.
        public var seconds: Double
        /// Seconds the coordinator itself worked (decode, reduce, update, encode, send),
        /// excluding the time it waited for workers.
        public var coordinatorSeconds: Double
        /// CPU seconds of the coordinator's thread over the iteration (the same work, counted
        /// in CPU time: robust to a loaded machine; ZeroMQ's I/O thread not included).
        public var coordinatorCPUSeconds: Double
        public var bytesReceived: Int
        public var bytesSent: Int
        /// Workers that took part (computed at least one accepted shard).
        public var workers: Int
        /// Shards that had to be recomputed elsewhere in this iteration.
        public var reassignedShards: Int
        /// Workers connected with the job built, at the end of the iteration.
        public var liveWorkers: Int
        /// Frames and messages refused so far in the run (undecodable, unexpected, rejected results).
        public var refusedMessagesTotal: Int
    }

    /// The trainer of a meta-training job; nil for a ``ClusterJob`` (``init(job:maxItems:options:)``).
    public let trainer: MetaTrainer<Float>?
    public let options: Options
    /// The endpoint actually bound (with the port resolved).
    public private(set) var endpoint = ""
    /// Counters over the whole run.
    public var counters: Scheduler.Counters { scheduler.counters }

    private var transport: Transport?
    private var scheduler: Scheduler
    private var peerLog: PeerLog
    private var stall: LoopStall
    private let maxMessageBytes: Int
    private var bytesIn = 0, bytesOut = 0
    private var busySeconds = 0.0
    private var failure: RunFailure?
    private var memoryTrim = MemoryTrim()

    public init(trainer: MetaTrainer<Float>, options: Options) {
        self.trainer = trainer
        self.options = options
        let initial = trainer.initialState().parameters
        let parameterBytes = ParameterCoding.encode(initial).count
        let c = trainer.configuration
        let learner = c.algorithm.learner
        maxMessageBytes = WireCodec.maxMessageBytes(parameterBytes: parameterBytes, tasks: c.metaBatchSize,
                                                    payloadValues: learner.maxPayloadValues(configuration: c, parameterCount: initial.scalarCount),
                                                    scalarsPerTask: learner.maxScalarsPerItem(configuration: c, parameterCount: initial.scalarCount))
        let job = JobMessage(configurationYAML: ConfigFile.yaml(c), maxMessageBytes: UInt64(maxMessageBytes))
        let settings = options.schedulerSettings(staleness: options.staleness, metaBatch: c.metaBatchSize, iterations: c.iterations,
                                                 blockSize: MetaGradient.blockSize)
        scheduler = Scheduler(settings: settings, job: job, layout: (initial.names, initial.values.map(\.shape)))
        peerLog = PeerLog(write: options.log)
        stall = LoopStall(threshold: options.heartbeat.interval)
    }

    /// A coordinator of a job other than meta-training (a ``ClusterJob``, e.g. a learner search):
    /// workers build `job` with their ``Worker/Options/jobKinds``; ``complete(_:iteration:)`` runs
    /// its rounds, of at most `maxItems` items each, split among the idle workers by their speeds
    /// (reduction blocks of one item), with no parameters. `job.maxMessageBytes` is the message limit.
    public init(job: JobMessage, maxItems: Int, options: Options) {
        trainer = nil
        self.options = options
        maxMessageBytes = Int(clamping: job.maxMessageBytes)
        let settings = options.schedulerSettings(staleness: 0, metaBatch: max(1, maxItems), iterations: Int.max, blockSize: 1)
        scheduler = Scheduler(settings: settings, job: job, layout: ([], []))
        peerLog = PeerLog(write: options.log)
        stall = LoopStall(threshold: options.heartbeat.interval)
    }

    /// A coordinator on a transport made elsewhere (an ``MetaRuntime/InMemoryTransport`` in tests).
    public convenience init(trainer: MetaTrainer<Float>, options: Options, transport: Transport) {
        self.init(trainer: trainer, options: options)
        transport.maxMessageBytes = maxMessageBytes
        self.transport = transport
        endpoint = options.bind
    }

    /// Binds the ROUTER socket (starting the ZAP handler first under CURVE) and returns the
    /// bound endpoint.
    @discardableResult
    public func bind() throws(ZMQError) -> String {
        let wake = StopSignal.fileDescriptor >= 0 ? [StopSignal.fileDescriptor] : []
        let t = try ZMQCoordinatorTransport(bind: options.bind, security: options.security, maxMessageBytes: maxMessageBytes, wake: wake)
        transport = t
        endpoint = t.endpoint
        return endpoint
    }

    /// Live workers that have the job built.
    public var readyWorkers: Int { scheduler.readyWorkers }

    /// Runs iteration `state.iteration` to its update: the learner's ``MetaAlgorithms/IterationProgram``
    /// round by round (each round sharded, collected and reduced in item order), then the update. In bounded-staleness mode idle workers also compute the next
    /// iterations (at most `staleness` ahead), which later calls then complete. Returns nil
    /// when a stop signal arrived first (the state is then unchanged). Throws when training
    /// cannot go on (every worker answered non-finite values, or an update diverged with no
    /// other worker to recompute it).
    public func iterate(_ state: MetaTrainer<Float>.State) throws(RunFailure) -> (MetaTrainer<Float>.State, IterationReport)? {
        let start = MonotonicClock.seconds
        let t = UInt64(state.iteration)
        bytesIn = 0; bytesOut = 0; busySeconds = 0
        let cpuStart = MonotonicClock.threadCPUSeconds
        var t0 = MonotonicClock.seconds
        let reassignedBefore = scheduler.counters.reassignedShards
        guard let trainer else { throw RunFailure("this coordinator serves a job without a trainer; it runs rounds (complete(_:iteration:))") }
        var program = trainer.configuration.algorithm.learner.iterationProgram(trainer: trainer, state: state)
        if options.staleness > 0, !(program is MetaGradientProgram<Float>) {
            throw RunFailure("--staleness \(options.staleness): \(trainer.configuration.algorithm) iterations are not one meta-gradient "
                             + "round, so they cannot run ahead on older parameters; use --staleness 0")
        }
        var round: UInt32 = 0
        let encoded = ParameterCoding.encode(state.parameters)
        perform(try scheduler.begin(iteration: t, round: round, request: program.request.roundRequest, parameters: encoded, now: t0))
        busySeconds += MonotonicClock.seconds - t0
        while true {
            if let failure { throw failure }
            if let done = scheduler.takeCompleted(t) {
                t0 = MonotonicClock.seconds
                let before = program
                let reduced = done.request.output == .blockSums
                    ? ShardResult(blockSums: done.blockSums, losses: done.outcomes.map(\.loss), metrics: done.outcomes.map(\.metric))
                    : ShardResult<Float>(scalars: done.outcomes.map(\.scalars), losses: done.outcomes.map(\.loss),
                                         metrics: done.outcomes.map(\.metric))
                let step = program.next(reduced)
                guard case .update(let next, let metrics) = step else {
                    if case .request(let request) = step {
                        round += 1
                        perform(try scheduler.begin(iteration: t, round: round, request: request.roundRequest, parameters: encoded,
                                                    now: MonotonicClock.seconds))
                    }
                    busySeconds += MonotonicClock.seconds - t0
                    continue
                }
                guard next.parameters.values.allSatisfy({ $0.withUnsafeBufferPointer { p in p.allSatisfy(\.isFinite) } }) else {
                    // Rolled back: `state` is kept and the program returns to before this
                    // round; the scheduler has every block of the round computed again by
                    // another worker (or stops the run).
                    program = before
                    perform(try scheduler.rejectUpdate(done, now: MonotonicClock.seconds))
                    busySeconds += MonotonicClock.seconds - t0
                    continue
                }
                perform(scheduler.confirmUpdate(done, now: MonotonicClock.seconds))
                let now = MonotonicClock.seconds
                busySeconds += now - t0
                let report = IterationReport(metrics: metrics, seconds: now - start, coordinatorSeconds: busySeconds,
                                             coordinatorCPUSeconds: MonotonicClock.threadCPUSeconds - cpuStart,
                                             bytesReceived: bytesIn, bytesSent: bytesOut, workers: done.contributors.count,
                                             reassignedShards: scheduler.counters.reassignedShards - reassignedBefore,
                                             liveWorkers: scheduler.readyWorkers, refusedMessagesTotal: scheduler.counters.refusedTotal)
                return (next, report)
            }
            if !pump(timeout: 0.05) { return nil }
        }
    }

    /// Runs one round of a ``ClusterJob`` as iteration `t` to completion: the items are given to
    /// the ready workers (again to another one when a worker is lost or past its deadline) and
    /// each item's first valid answer is kept. Returns the answers in item order, or nil when a
    /// stop signal arrived first. `t` must not decrease from one call to the next (answers to
    /// earlier iterations are dropped as late).
    /// - Throws: ``MetaRuntime/RunFailure`` when the request has more items than the job allows.
    public func complete(_ request: RoundRequest, iteration t: UInt64) throws(RunFailure) -> [ResultMessage.TaskOutcome]? {
        // The job has no parameters; an empty set stands for them, so every assignment of the round carries them.
        let none = ParameterCoding.encode(Parameters<Tensor<Float>>([] as [(String, Tensor<Float>)]))
        perform(try scheduler.begin(iteration: t, round: 0, request: request, parameters: none, now: MonotonicClock.seconds))
        while true {
            if let failure { throw failure }
            if let done = scheduler.takeCompleted(t) { return done.outcomes }
            if !pump(timeout: 0.05) { return nil }
        }
    }

    /// Keeps the transport serviced (heartbeats, hellos, late results) until `done()` is true,
    /// e.g. while the caller validates on another thread; returns false if a stop signal
    /// arrived first.
    public func service(until done: () -> Bool) -> Bool {
        while !done() {
            if !pump(timeout: 0.05) { return false }
        }
        return true
    }

    /// Keeps the transport serviced for `seconds`; returns false if a stop signal arrived.
    public func idle(for seconds: Double) -> Bool {
        let end = MonotonicClock.seconds + seconds
        return service { MonotonicClock.seconds >= end }
    }

    /// Tells every connected worker that training is over (`finished`) or stopped early, and
    /// lets the messages drain.
    public func shutdown(reason: String, finished: Bool) {
        perform(scheduler.shutdown(reason: reason, finished: finished))
        transport?.close(linger: 2)
        transport = nil
    }

    // MARK: Event loop

    /// Polls the transport once for up to `timeout` seconds, hands what arrived and the
    /// clock to the scheduler, and carries out its outputs. Returns false when a stop signal
    /// is pending.
    private func pump(timeout: Double) -> Bool {
        guard let transport else { return false }
        // Bounded per pump so timers run even under a flood of messages.
        let inbound = transport.receive(timeout: timeout, limit: 10_000)
        if StopSignal.isRequested || options.stopWhen?() == true { return false }
        if failure == nil, let why = options.failWhen?() { failure = RunFailure(why) }
        let t0 = MonotonicClock.seconds
        for item in inbound {
            if case .message(_, let frame) = item { bytesIn += frame.count }
            perform(scheduler.received(item, now: MonotonicClock.seconds))
        }
        let now = MonotonicClock.seconds
        // Measured right before the silence checks, so a stop anywhere since the last ones counts.
        let stalled = stall.stalled(now: now, maxWait: timeout)
        if stalled > 0 {
            // Nothing could arrive while this process did not run: not the workers' silence.
            scheduler.credit(stall: stalled, now: now)
            if stalled > options.heartbeat.timeout {
                options.log("the coordinator did not run for \(Int(stalled.rounded())) s (paused?); "
                            + "not counting that as the workers' silence")
            }
        }
        do { perform(try scheduler.tick(now: now)) } catch { failure = error }
        let c = scheduler.counters
        memoryTrim.update(refused: c.refusedTotal + c.lostWorkers + c.droppedWorkers, now: now)
        busySeconds += MonotonicClock.seconds - t0
        return true
    }

    /// Carries out the scheduler's outputs in order; a send that finds no route is reported
    /// back (its outputs are carried out too).
    private func perform(_ outputs: [Scheduler.Output]) {
        var queue = outputs[...]
        while let output = queue.popFirst() {
            switch output {
            case .send(let message, let peer):
                let frame = WireCodec.encode(message)
                bytesOut += frame.count + peer.count
                if transport?.send(frame, to: peer) == .noRoute {
                    queue.append(contentsOf: scheduler.sendFailed(to: peer, now: MonotonicClock.seconds))
                }
            case .log(let line, let peer):
                if let peer {
                    peerLog.log(line, peer: hex(peer), now: MonotonicClock.seconds)
                } else {
                    options.log(line)
                }
            }
        }
    }
}

extension WorkRequest {
    /// The scheduler's view of the request (the same fields).
    var roundRequest: RoundRequest {
        RoundRequest(work: work, payload: payload, items: items, output: scalarsPerItem.map { .scalars($0) } ?? .blockSums)
    }
}

extension Coordinator.Options {
    /// The scheduler's settings from these options, for a job whose rounds have at most
    /// `metaBatch` items reduced in blocks of `blockSize`, over `iterations` iterations.
    func schedulerSettings(staleness: Int, metaBatch: Int, iterations: Int, blockSize: Int) -> Scheduler.Settings {
        Scheduler.Settings(heartbeat: heartbeat, minWorkers: minWorkers, staleness: staleness, deadlines: deadlines,
                           identity: identity, allowMixedBuilds: allowMixedBuilds, maxPeers: maxPeers,
                           metaBatch: metaBatch, iterations: iterations, blockSize: blockSize)
    }
}
