import CZeroMQ
import Foundation
import MetaTensor
import MetaNN
import MetaAlgorithms
import MetaConfig
import MetaRuntime
import MetaTransport

/// The coordinator's runtime: binds a ROUTER socket, hands workers the job, shards every
/// meta-batch across the live workers, reduces their meta-gradients and applies the outer
/// update.
///
/// **Why the result does not depend on the workers.** Iteration `t` has tasks 0…B−1, each
/// rebuilt by whichever worker computes it from (seed, t, index) and the parameters of
/// version t, with the same code (``MetaAlgorithms/Algorithm/shardResult``) the in-process
/// trainer runs. Meta-gradients travel as exact Float bytes. The coordinator waits until it
/// holds one accepted result for every index, then reduces them with
/// ``MetaTrainer/apply(_:to:)`` in index order 0…B−1, exactly as `--workers 0` does. Arrival
/// order, shard sizes, reassignments after faults and restarts therefore cannot change a
/// single bit of the parameters.
///
/// **Faults.** A shard whose worker goes silent past the heartbeat timeout, disconnects,
/// rejects, shuts down or answers with non-finite values goes back to the queue and is given
/// to another live worker (never back to one that answered it with non-finite values).
/// Results carry their parameter version; stale and duplicate ones are dropped and counted
/// by ``CoordinatorPeer``. Frames that do not decode are counted and dropped; log lines about
/// a peer are limited to one a minute (``PeerLog``).
///
/// **Pauses.** Time the coordinator itself did not run (SIGSTOP, a VM pause, a laptop sleep,
/// a long validation) is not counted as its workers' silence (``LoopStall``). A worker lost
/// anyway (it was stopped longer than the coordinator) stays known for a minute: if it is
/// alive and unaware (its heartbeats arrive again on the same connection), ``CoordinatorPeer``
/// sends it the job again and it rejoins at once; if it reconnected instead, its hello on the
/// new connection does.
public final class Coordinator {
    public struct Options {
        /// The ZeroMQ endpoint to bind (`tcp://0.0.0.0:5555`; port `*` picks a free one).
        public var bind: String
        public var minWorkers: Int
        public var heartbeat: HeartbeatSettings
        public var security: CoordinatorSecurity
        /// This build's identifier; workers of other builds are accepted with a warning
        /// unless `requireSameBuild`.
        public var buildID: String
        public var requireSameBuild: Bool
        /// 0: synchronous (bit-identical whatever the workers). S > 0: bounded staleness:
        /// idle workers already compute iterations up to S ahead with the parameters at hand,
        /// so the shards of iteration t may come from parameters of versions t−S…t.
        public var staleness: Int = 0
        public var log: (String) -> Void

        public init(bind: String, minWorkers: Int = 1, heartbeat: HeartbeatSettings = HeartbeatSettings(),
                    security: CoordinatorSecurity = .plain, buildID: String, requireSameBuild: Bool = false,
                    log: @escaping (String) -> Void) {
            self.bind = bind
            self.minWorkers = minWorkers
            self.heartbeat = heartbeat
            self.security = security
            self.buildID = buildID
            self.requireSameBuild = requireSameBuild
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

    /// Counters over the whole run.
    public struct Counters: Sendable {
        public var undecodableFrames = 0
        public var droppedMessages = 0
        public var rejectedResults = 0
        public var reassignedShards = 0
        public var lostWorkers = 0
    }

    public let trainer: MetaTrainer<Float>
    public let options: Options
    public let job: JobMessage
    public private(set) var counters = Counters()
    /// The endpoint actually bound (with the port resolved).
    public private(set) var endpoint = ""

    private let context = ZMQContext()
    private var socket: ZMQSocket?
    private var zap: ZAPAuthenticator?
    private var peers: [[UInt8]: CoordinatorPeer] = [:]
    private var lastHeard: [[UInt8]: Double] = [:]
    private var speeds: [[UInt8]: Double] = [:]
    private var assignedAt: [[UInt8]: Double] = [:]
    private var peerLog: PeerLog
    private var nextHeartbeat = 0.0
    private var stall: LoopStall
    private let maxMessageBytes: Int
    private let layoutNames: [String]
    private let layoutShapes: [[Int]]
    private var everHadWorkers = false
    private var buildWarned: Set<String> = []

    /// The work of one iteration in flight: the answers so far and the shards still to give.
    private struct IterationWork {
        var outcomes: [ResultMessage.TaskOutcome?]
        var blockSums: [Parameters<Tensor<Float>>?]
        var pending: [CoordinatorPeer.Shard] = []
        var refusedBy: [[UInt32]: Set<[UInt8]>] = [:]
        var participants: Set<[UInt8]> = []
        var planned = false
        var complete: Bool { !outcomes.contains { $0 == nil } }

        init(tasks: Int) {
            outcomes = Array(repeating: nil, count: tasks)
            blockSums = Array(repeating: nil, count: (tasks + MetaGradient.blockSize - 1) / MetaGradient.blockSize)
        }
    }

    /// Iterations in flight: only the current one in synchronous mode, up to `staleness`
    /// more in bounded-staleness mode.
    private var work: [UInt64: IterationWork] = [:]
    /// The parameters' version: the iteration the current parameters start.
    private var currentVersion: UInt64 = 0
    private var encodedParameters: [UInt8] = []
    private var bytesIn = 0, bytesOut = 0, reassigned = 0
    private var busySeconds = 0.0

    public init(trainer: MetaTrainer<Float>, options: Options) {
        self.trainer = trainer
        self.options = options
        job = JobMessage(configurationYAML: ConfigFile.yaml(trainer.configuration), maxMessageBytes: 0)
        let initial = trainer.initialState().parameters
        layoutNames = initial.names
        layoutShapes = initial.values.map(\.shape)
        let parameterBytes = ParameterCoding.encode(initial).count
        maxMessageBytes = WireCodec.maxMessageBytes(parameterBytes: parameterBytes, tasks: trainer.configuration.metaBatchSize)
        peerLog = PeerLog(write: options.log)
        stall = LoopStall(threshold: options.heartbeat.interval)
    }

    /// The job as sent to workers (with the frame limit).
    private var jobMessage: JobMessage {
        JobMessage(jobHash: job.jobHash, configurationYAML: job.configurationYAML, maxMessageBytes: UInt64(maxMessageBytes))
    }

    /// Binds the ROUTER socket (starting the ZAP handler first under CURVE) and returns the
    /// bound endpoint.
    @discardableResult
    public func bind() throws(ZMQError) -> String {
        let s = try ZMQSocket(context: context, kind: .router)
        try s.set(ZMQ_ROUTER_MANDATORY, 1)
        try s.set(ZMQ_MAXMSGSIZE, int64: Int64(maxMessageBytes))
        try s.set(ZMQ_SNDHWM, 256)
        try s.set(ZMQ_RCVHWM, 1024)
        if case .curve(let server, let allowed) = options.security {
            guard let secret = server.secretKey else { throw ZMQError(code: EINVAL, "the coordinator's key file has no secret key") }
            zap = try ZAPAuthenticator(context: context, allowedPublicKeys: allowed)
            try s.set(ZMQ_CURVE_SERVER, 1)
            try s.set(ZMQ_CURVE_SECRETKEY, bytes: Array(secret.utf8))
            try s.set(ZMQ_ZAP_DOMAIN, bytes: Array("metatrain".utf8))
        }
        try s.bind(options.bind)
        socket = s
        endpoint = s.lastEndpoint
        return endpoint
    }

    /// How long a lost peer is kept after its last message (a minute, or two heartbeat
    /// timeouts if longer), so that a worker that was paused longer than the coordinator
    /// rejoins on its next heartbeat; then it is forgotten (it reconnected, or is gone).
    private var lostRetention: Double { max(60, 2 * options.heartbeat.timeout) }

    /// Live workers that have the job built.
    public var readyWorkers: Int { peers.values.filter(\.hasJob).count }

    /// Runs iteration `state.iteration` to its update: shards, collects, reduces in task
    /// order, updates. In bounded-staleness mode it also keeps idle workers busy with the
    /// next iterations (at most `staleness` ahead), which later calls then complete. Returns
    /// nil when a stop signal arrived first (the state is then unchanged). Throws when every
    /// live worker answered a shard with non-finite values.
    public func iterate(_ state: MetaTrainer<Float>.State) throws(RunFailure) -> (MetaTrainer<Float>.State, IterationReport)? {
        let start = MonotonicClock.seconds
        let b = trainer.configuration.metaBatchSize
        let t = UInt64(state.iteration)
        bytesIn = 0; bytesOut = 0; reassigned = 0; busySeconds = 0
        var t0 = MonotonicClock.seconds
        currentVersion = t
        encodedParameters = ParameterCoding.encode(state.parameters)
        work = work.filter { $0.key >= t }
        if work[t] == nil { work[t] = IterationWork(tasks: b) }
        busySeconds += MonotonicClock.seconds - t0

        // Wait for enough workers (min-workers before the first shard of the run, one later).
        let needed = everHadWorkers ? 1 : max(1, options.minWorkers)
        var announced = false
        while !everHadWorkers && idlePeers().count < needed || everHadWorkers && readyWorkers == 0 {
            if !announced {
                options.log("waiting for \(needed) worker(s) at \(endpoint) (\(idlePeers().count) ready)")
                announced = true
            }
            if !pump(timeout: 0.1) { return nil }
        }
        everHadWorkers = true
        t0 = MonotonicClock.seconds
        if work[t]?.planned == false {
            // The whole meta-batch to the idle workers, sized by their measured speeds.
            work[t]!.planned = true
            let idle = idlePeers()
            let shards = ShardPlanner.plan(taskCount: b, speeds: idle.map { speeds[$0] ?? 0 }, blockSize: MetaGradient.blockSize)
            for (id, range) in zip(idle, shards) where !range.isEmpty {
                assign(CoordinatorPeer.Shard(iteration: t, parameterVersion: t, taskIndices: range.map { UInt32($0) }), to: id)
            }
            if idle.isEmpty {  // all busy with later iterations: queue it
                let ranges = ShardPlanner.plan(taskCount: b, speeds: Array(repeating: 1, count: max(1, readyWorkers)),
                                               blockSize: MetaGradient.blockSize).filter { !$0.isEmpty }
                work[t]!.pending = ranges.map { CoordinatorPeer.Shard(iteration: t, parameterVersion: t, taskIndices: $0.map { UInt32($0) }) }
            }
        }
        busySeconds += MonotonicClock.seconds - t0

        while work[t]?.complete == false {
            t0 = MonotonicClock.seconds
            try dispatchPending()
            if options.staleness > 0 { planAhead(from: t) }
            busySeconds += MonotonicClock.seconds - t0
            if !pump(timeout: 0.05) { return nil }
        }

        t0 = MonotonicClock.seconds
        let done = work.removeValue(forKey: t)!
        let (next, metrics) = trainer.apply(blockSums: done.blockSums.map { $0! }, losses: done.outcomes.map { $0!.loss },
                                            metrics: done.outcomes.map { $0!.metric }, to: state)
        let now = MonotonicClock.seconds
        busySeconds += now - t0
        let report = IterationReport(metrics: metrics, seconds: now - start, coordinatorSeconds: busySeconds,
                                     bytesReceived: bytesIn, bytesSent: bytesOut, workers: done.participants.count,
                                     reassignedShards: reassigned, liveWorkers: readyWorkers,
                                     refusedMessagesTotal: counters.undecodableFrames + counters.rejectedResults
                                        + counters.droppedMessages + peers.values.reduce(0) { $0 + $1.droppedMessages })
        return (next, report)
    }

    /// Bounded staleness: while workers are idle and nothing is pending, open the next
    /// iteration (at most `staleness` past `t`) as shards of whole blocks, one per ready worker.
    private func planAhead(from t: UInt64) {
        let last = t + UInt64(options.staleness)
        while !idlePeers().isEmpty, !work.values.contains(where: { !$0.pending.isEmpty }) {
            guard let u = (t...last).first(where: { work[$0]?.planned != true }), u < UInt64(trainer.configuration.iterations) else { return }
            let b = trainer.configuration.metaBatchSize
            var w = work[u] ?? IterationWork(tasks: b)
            w.planned = true
            let ranges = ShardPlanner.plan(taskCount: b, speeds: Array(repeating: 1, count: max(1, readyWorkers)),
                                           blockSize: MetaGradient.blockSize)
            w.pending = ranges.filter { !$0.isEmpty }.map {
                CoordinatorPeer.Shard(iteration: u, parameterVersion: currentVersion, taskIndices: $0.map { UInt32($0) })
            }
            work[u] = w
            try? dispatchPending()
        }
    }

    /// Keeps the socket serviced (heartbeats, hellos) for `seconds`, e.g. while the caller
    /// validates; returns false if a stop signal arrived.
    public func idle(for seconds: Double) -> Bool {
        let end = MonotonicClock.seconds + seconds
        while MonotonicClock.seconds < end { if !pump(timeout: 0.05) { return false } }
        return true
    }

    /// Tells every connected worker that training is over and lets the messages drain.
    public func shutdown(reason: String) {
        for id in Array(peers.keys) { handle(id, .shutdown(reason)) }
        try? socket?.set(ZMQ_LINGER, 2000)
        socket?.close()
        socket = nil
        zap?.stop()
    }

    // MARK: Event loop

    /// Polls the socket once for up to `timeout` seconds and handles what arrived and what
    /// timers are due. Returns false when a stop signal is pending.
    private func pump(timeout: Double) -> Bool {
        guard let s = socket else { return false }
        let fds = StopSignal.fileDescriptor >= 0 ? [StopSignal.fileDescriptor] : []
        let ready = ZMQSocket.poll([s], fds: fds, timeoutMilliseconds: Int(timeout * 1000))
        if StopSignal.isRequested { return false }
        let t0 = MonotonicClock.seconds
        if ready[0] {
            // Bounded per pump so timers run even under a flood of frames.
            var n = 0
            while n < 10_000, let frames = try? s.receive() {
                n += 1
                received(frames)
            }
        }
        let now = MonotonicClock.seconds
        // Measured right before the silence checks, so a stop anywhere since the last ones counts.
        let stalled = stall.stalled(now: now, maxWait: timeout)
        if stalled > 0 {
            // Nothing could arrive while this process did not run: not the workers' silence.
            for (id, heard) in lastHeard { lastHeard[id] = min(now, heard + stalled) }
            if stalled > options.heartbeat.timeout {
                options.log("the coordinator did not run for \(Int(stalled.rounded())) s (paused, or a long step); "
                            + "not counting that as the workers' silence")
            }
        }
        if now >= nextHeartbeat {
            nextHeartbeat = now + options.heartbeat.interval
            let stamp = MonotonicClock.nanoseconds
            for id in Array(peers.keys) { handle(id, .heartbeatDue(now: stamp)) }
        }
        for (id, heard) in lastHeard {
            let silence = now - heard
            if peers[id]?.isLive == true {
                guard silence > options.heartbeat.timeout else { continue }
                // Lost, but kept (see lostRetention): a worker alive and unaware of it is sent
                // the job again on its next heartbeat (see CoordinatorPeer).
                counters.lostWorkers += 1
                handle(id, .timeout)
            } else if silence > lostRetention || peers[id] == nil {
                forget(id)
            }
        }
        busySeconds += MonotonicClock.seconds - t0
        return true
    }

    private func received(_ frames: [[UInt8]]) {
        bytesIn += frames.reduce(0) { $0 + $1.count }
        guard frames.count == 2 else {
            counters.undecodableFrames += 1
            if let id = frames.first {
                peerLog.log("dropped a message of \(frames.count) frames from \(hex(id)) (expected 1)", peer: hex(id),
                            now: MonotonicClock.seconds)
            }
            return
        }
        let id = frames[0]
        if peers[id] == nil {
            guard peers.count < 10_000 else { counters.undecodableFrames += 1; return }
            peers[id] = CoordinatorPeer(job: jobMessage, requiredBuildID: options.requireSameBuild ? options.buildID : nil)
        }
        do {
            let message = try WireCodec.decode(frames[1], maxBytes: maxMessageBytes)
            lastHeard[id] = MonotonicClock.seconds
            if case .hello(let h) = message, h.buildID != options.buildID, !options.requireSameBuild,
               buildWarned.insert(h.buildID).inserted {
                options.log("warning: worker \(h.workerName) runs build '\(h.buildID)', this coordinator '\(options.buildID)'; "
                            + "results are bit-identical only across identical builds")
            }
            handle(id, .received(message))
        } catch {
            counters.undecodableFrames += 1
            if lastHeard[id] == nil { lastHeard[id] = MonotonicClock.seconds }
            handle(id, .undecodable(error))
        }
        if let p = peers[id], !p.isLive, p.state != .lost { forget(id) }
    }

    private func forget(_ id: [UInt8]) {
        if let p = peers[id] { counters.droppedMessages += p.droppedMessages }
        peers[id] = nil
        lastHeard[id] = nil
        assignedAt[id] = nil
    }

    private func handle(_ id: [UInt8], _ event: CoordinatorPeer.Event) {
        guard var peer = peers[id] else { return }
        let actions = peer.handle(event)
        peers[id] = peer
        for action in actions {
            switch action {
            case .send(let message):
                let frame = WireCodec.encode(message)
                bytesOut += frame.count + id.count
                let delivered = (try? socket?.send([id, frame])) ?? false
                if delivered != true, peers[id]?.isLive == true {
                    // ROUTER_MANDATORY: the connection is gone; nothing more can come from it.
                    counters.lostWorkers += 1
                    handle(id, .disconnected)
                    forget(id)
                    return
                }
            case .accept(let result):
                accept(result, from: id)
            case .reassign(let shard):
                requeue(shard)
            case .rejectResult(let shard, let why):
                counters.rejectedResults += 1
                refuse(shard, by: id)
                peerLog.log("rejected the result of \(peers[id]?.name ?? hex(id)) for tasks \(shard.taskIndices.first ?? 0)…: \(why); "
                            + "recomputing elsewhere", peer: hex(id), now: MonotonicClock.seconds)
                requeue(shard)
            case .available:
                break
            case .log(let line):
                peerLog.log(line, peer: hex(id), now: MonotonicClock.seconds)
            }
        }
    }

    private func requeue(_ shard: CoordinatorPeer.Shard) {
        guard let w = work[shard.iteration],
              shard.taskIndices.contains(where: { Int($0) < w.outcomes.count && w.outcomes[Int($0)] == nil }) else { return }
        reassigned += 1
        counters.reassignedShards += 1
        work[shard.iteration]!.pending.append(shard)
    }

    private func refuse(_ shard: CoordinatorPeer.Shard, by id: [UInt8]) {
        work[shard.iteration]?.refusedBy[shard.taskIndices, default: []].insert(id)
    }

    private func accept(_ result: ResultMessage, from id: [UInt8]) {
        guard let w = work[result.iteration] else { return }  // an iteration already applied
        let shard = CoordinatorPeer.Shard(iteration: result.iteration, parameterVersion: result.parameterVersion,
                                          taskIndices: result.tasks.map(\.index))
        // Each reduction block's first task carries the block's gradient sum, the others none
        // (MetaGradient); every sum must decode to the model's layout with finite values, or
        // nothing of the result is used.
        var sums: [(Int, Parameters<Tensor<Float>>)] = []
        for task in result.tasks {
            let i = Int(task.index)
            let valid: Bool
            if i % MetaGradient.blockSize != 0 {
                valid = task.metaGradient.isEmpty
            } else if let g = try? ParameterCoding.decode(task.metaGradient, as: Float.self), g.names == layoutNames,
                      zip(g.values, layoutShapes).allSatisfy({ $0.shape == $1 }),
                      g.values.allSatisfy({ $0.withUnsafeBufferPointer { b in b.allSatisfy { $0.isFinite } } }) {
                sums.append((i / MetaGradient.blockSize, g))
                valid = true
            } else {
                valid = false
            }
            guard valid, i < w.outcomes.count else {
                counters.rejectedResults += 1
                refuse(shard, by: id)
                peerLog.log("rejected the result of \(peers[id]?.name ?? hex(id)) for iteration \(result.iteration): "
                            + "a meta-gradient with non-finite values or the wrong layout; recomputing elsewhere",
                            peer: hex(id), now: MonotonicClock.seconds)
                requeue(shard)
                return
            }
        }
        if let started = assignedAt[id] {
            let rate = Double(result.tasks.count) / max(MonotonicClock.seconds - started, 1e-6)
            speeds[id] = speeds[id].map { 0.7 * $0 + 0.3 * rate } ?? rate
        }
        let k = result.iteration
        for task in result.tasks where work[k]!.outcomes[Int(task.index)] == nil {
            var kept = task
            kept.metaGradient = []  // decoded into its block sum already
            work[k]!.outcomes[Int(task.index)] = kept
        }
        for (b, g) in sums where work[k]!.blockSums[b] == nil { work[k]!.blockSums[b] = g }
        work[k]!.participants.insert(id)
    }

    private func idlePeers() -> [[UInt8]] {
        peers.filter { $0.value.isIdle }.map(\.key).sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// Gives pending shards, earliest iteration first, to idle workers that have not
    /// answered them with non-finite values.
    private func dispatchPending() throws(RunFailure) {
        for k in work.keys.sorted() {
            guard var w = work[k], !w.pending.isEmpty else { continue }
            var remaining: [CoordinatorPeer.Shard] = []
            for shard in w.pending {
                // Shards are answered whole; one already answered (e.g. by a duplicate) is done.
                guard shard.taskIndices.contains(where: { w.outcomes[Int($0)] == nil }) else { continue }
                let refused = w.refusedBy[shard.taskIndices] ?? []
                let live = peers.filter { $0.value.hasJob }.map(\.key)
                if !live.isEmpty, live.allSatisfy({ refused.contains($0) }) {
                    throw RunFailure("training diverged at iteration \(k): every worker answered tasks "
                                     + "\(shard.taskIndices.first!)… with non-finite values; resume from an earlier checkpoint with a lower learning rate")
                }
                if let id = idlePeers().first(where: { !refused.contains($0) }) {
                    w.pending = []  // assign() may requeue into work[k]; merge below
                    work[k] = w
                    assign(shard, to: id)
                    w = work[k] ?? w
                } else {
                    remaining.append(shard)
                }
            }
            w.pending = remaining + (work[k]?.pending ?? [])
            work[k] = w
        }
    }

    /// Sends `shard` to `id` with the current parameters (a requeued shard of an older
    /// version is recomputed from the current ones).
    private func assign(_ shard: CoordinatorPeer.Shard, to id: [UInt8]) {
        assignedAt[id] = MonotonicClock.seconds
        handle(id, .assign(AssignmentMessage(iteration: shard.iteration, parameterVersion: currentVersion,
                                             taskIndices: shard.taskIndices, parameters: encodedParameters)))
    }

    private func hex(_ id: [UInt8]) -> String { id.map { String(format: "%02x", $0) }.joined() }
}

/// A failure that ends a distributed run, with one line saying what to do.
public struct RunFailure: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
