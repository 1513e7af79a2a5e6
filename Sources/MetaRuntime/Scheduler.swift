import MetaTensor
import MetaNN

/// The coordinator's decisions, without sockets or clocks: planning shards, dispatching them,
/// requeueing, deadlines, accepting results, and which peers to keep.
///
/// Inputs are what arrived (``received(_:now:)``), sends that failed
/// (``sendFailed(to:now:)``), clock ticks (``tick(now:)``) and the coordinator's own steps
/// (``begin(iteration:parameters:now:)``, ``takeCompleted(_:)``, ``rejectUpdate(_:now:)``,
/// ``shutdown(reason:finished:)``); every time is a monotonic clock reading in seconds passed
/// in by the caller. Outputs are messages to send and lines to log, in order. The event loop
/// (`MetaCluster`'s `Coordinator`) only moves bytes and reduces; unit tests drive this type
/// message by message and tick by tick, deterministically.
///
/// **Rounds.** An iteration is one or more rounds (``RoundRequest``): the meta-gradient
/// round of the gradient learners, or a learner's own requests such as ES-MAML's fitnesses or
/// the Hessian-vector products of a conjugate-gradient solve. ``begin(iteration:round:request:parameters:now:)``
/// starts each; answers for another round than the current one are dropped.
///
/// **Why the result does not depend on the workers.** A shard is a run of whole reduction
/// blocks of one round of one iteration; each task's outcome is kept once (the first valid one) and the
/// block sums are handed over by index, so the reduction (``takeCompleted(_:)``) sees the same
/// values in the same order whoever computed them, whenever, and how often.
///
/// **Nothing stalls an iteration forever.** A worker silent past the heartbeat timeout is
/// lost and its shard requeued; a shard past its deadline (``ShardDeadlines``) is given to
/// another worker as well; a worker that keeps missing deadlines is dropped.
///
/// **Bounded memory.** A peer is stored only once its hello is accepted; anything else from an
/// unknown peer is counted and forgotten. At most ``Settings/maxPeers`` peers are stored
/// (more are refused as overloaded), lost ones for ``Settings/lostRetention`` seconds; the
/// identities warned about are capped; hello fields are capped by the codec.
public struct Scheduler: Sendable {
    public struct Settings: Sendable {
        public var heartbeat: HeartbeatSettings
        /// Idle workers needed before the first shard of the run (later, one is enough).
        public var minWorkers: Int
        /// 0: synchronous. S > 0: shards of up to S later iterations run ahead on older parameters.
        public var staleness: Int
        public var deadlines: ShardDeadlines
        /// The coordinator's build; in synchronous mode a worker must match it unless `allowMixedBuilds`.
        public var identity: BuildIdentity
        public var allowMixedBuilds: Bool
        /// The most peers stored at once (connected or recently lost).
        public var maxPeers: Int
        /// Tasks per meta-batch, meta-iterations of the run, tasks per reduction block.
        public var metaBatch: Int
        public var iterations: Int
        public var blockSize: Int

        public init(heartbeat: HeartbeatSettings = HeartbeatSettings(), minWorkers: Int = 1, staleness: Int = 0,
                    deadlines: ShardDeadlines = ShardDeadlines(), identity: BuildIdentity, allowMixedBuilds: Bool = false,
                    maxPeers: Int = 1024, metaBatch: Int, iterations: Int, blockSize: Int) {
            self.heartbeat = heartbeat
            self.minWorkers = minWorkers
            self.staleness = staleness
            self.deadlines = deadlines
            self.identity = identity
            self.allowMixedBuilds = allowMixedBuilds
            self.maxPeers = maxPeers
            self.metaBatch = metaBatch
            self.iterations = iterations
            self.blockSize = blockSize
        }

        /// How long a lost peer is kept after its last message (a minute, or two heartbeat
        /// timeouts if longer), so that a worker that was paused longer than the coordinator
        /// rejoins on its next heartbeat; then it is forgotten (it reconnected, or is gone).
        public var lostRetention: Double { max(60, 2 * heartbeat.timeout) }
    }

    /// What the event loop must do, in order.
    public enum Output: Sendable, Equatable {
        /// Encode and send `message` to `peer`; report a failure with ``sendFailed(to:now:)``.
        case send(Message, to: PeerID)
        /// Log `line`; `peer` names the peer it is about (for per-peer rate limits), if any.
        case log(String, about: PeerID?)
    }

    /// Counters over the whole run.
    public struct Counters: Sendable, Equatable {
        /// Frames that did not decode, and messages dropped while being read (too many parts).
        public var undecodableFrames = 0
        /// Messages not expected in their peer's state, or from peers that never said hello.
        public var droppedMessages = 0
        /// Results refused (non-finite values, wrong layout).
        public var rejectedResults = 0
        /// Shards given to another worker (lost worker, failed send, deadline, rejected result).
        public var reassignedShards = 0
        /// Workers lost (silent past the timeout, or their connection gone).
        public var lostWorkers = 0
        /// Deadline periods passed by shards without a result.
        public var expiredShards = 0
        /// Workers dropped for missing deadlines or for results that made the update non-finite.
        public var droppedWorkers = 0
        /// Hellos refused because ``Settings/maxPeers`` peers were stored.
        public var refusedPeers = 0
        /// Outer updates rolled back because they made the parameters non-finite.
        public var rolledBackUpdates = 0

        /// Everything refused or dropped, for one metric.
        public var refusedTotal: Int { undecodableFrames + droppedMessages + rejectedResults + refusedPeers }
    }

    /// One iteration with an accepted outcome for every task, ready to reduce.
    public struct CompletedIteration: Sendable {
        public var iteration: UInt64
        /// The round completed, and its request.
        public var round: UInt32
        public var request: RoundRequest
        /// Outcomes in item order (meta-gradients removed: they are in `blockSums`; each
        /// item's scalars kept).
        public var outcomes: [ResultMessage.TaskOutcome]
        /// Each reduction block's sum, in block order (empty for a round of scalars).
        public var blockSums: [Parameters<Tensor<Float>>]
        /// The peers whose results were used.
        public var contributors: [PeerID]
        /// Shards given to another worker while this iteration ran.
        public var reassignedShards: Int
        /// Which peer's sum was kept for each block.
        public var blockContributors: [PeerID]
        /// For a recomputation after a rolled-back update: the first answers, to compare.
        public var previous: Previous?

        /// The answers of a rolled-back update.
        public struct Previous: Sendable {
            public var blockSums: [Parameters<Tensor<Float>>]
            public var blockContributors: [PeerID]
        }
    }

    /// A stored peer.
    struct Entry: Sendable {
        var peer: CoordinatorPeer
        var lastHeard: Double
        /// Tasks per second, smoothed over the peer's shards.
        var speed: Double?
        /// When the shard in flight was assigned.
        var assignedAt: Double?
        /// Deadline periods the shard in flight has passed.
        var expiredPeriods = 0
        /// Strikes in a row (see ``ShardDeadlines``).
        var strikes = 0
    }

    /// The work of one iteration in flight: the answers so far and the shards still to give.
    struct IterationWork: Sendable {
        var round: UInt32
        var request: RoundRequest
        var outcomes: [ResultMessage.TaskOutcome?]
        var blockSums: [Parameters<Tensor<Float>>?]
        var pending: [CoordinatorPeer.Shard] = []
        var refusedBy: [[UInt32]: Set<PeerID>] = [:]
        var contributors: Set<PeerID> = []
        var blockContributors: [PeerID?]
        var previous: CompletedIteration.Previous?
        var planned = false
        var reassigned = 0
        var complete: Bool {
            !outcomes.contains { $0 == nil } && (request.output != .blockSums || !blockSums.contains { $0 == nil })
        }

        init(round: UInt32, request: RoundRequest, blockSize: Int) {
            self.round = round
            self.request = request
            outcomes = Array(repeating: nil, count: request.items)
            let blocks = request.output == .blockSums ? (request.items + blockSize - 1) / blockSize : 0
            blockSums = Array(repeating: nil, count: blocks)
            blockContributors = Array(repeating: nil, count: blocks)
        }

        func unanswered(_ shard: CoordinatorPeer.Shard) -> Bool {
            shard.round == round && shard.taskIndices.contains { Int($0) < outcomes.count && outcomes[Int($0)] == nil }
        }
    }

    public let settings: Settings
    /// The job every worker builds.
    public let job: JobMessage
    public private(set) var counters = Counters()
    private let layoutNames: [String]
    private let layoutShapes: [[Int]]
    private var peers: [PeerID: Entry] = [:]
    private var work: [UInt64: IterationWork] = [:]
    private var currentVersion: UInt64 = 0
    private var encodedParameters: [UInt8] = []
    private var everHadWorkers = false
    private var announcedWaiting = false
    private var nextHeartbeat = -Double.infinity
    private var warnedIdentities: Set<BuildIdentity> = []

    /// - Parameters:
    ///   - job: the job sent to every worker (with its message limit).
    ///   - layout: the model's parameter names and shapes; a meta-gradient of another layout is refused.
    public init(settings: Settings, job: JobMessage, layout: (names: [String], shapes: [[Int]])) {
        self.settings = settings
        self.job = job
        layoutNames = layout.names
        layoutShapes = layout.shapes
    }

    // MARK: Queries

    /// Live workers that have the job built (idle or computing).
    public var readyWorkers: Int { peers.values.filter { $0.peer.hasJob }.count }

    /// Peers stored (connected, in their handshake, or recently lost).
    public var storedPeers: Int { peers.count }

    /// The state of `peer`, if stored.
    public func state(of peer: PeerID) -> CoordinatorPeer.State? { peers[peer]?.peer.state }

    /// A peer's name for logs.
    public func name(of peer: PeerID) -> String { peers[peer]?.peer.name ?? "peer \(hex(peer))" }

    /// Whether iteration `t` has been planned (its shards given out or queued).
    public func isPlanned(_ t: UInt64) -> Bool { work[t]?.planned == true }

    // MARK: Inputs

    /// Starts iteration `t` with the parameters of version `t` (their ``ParameterCoding``
    /// bytes): later assignments carry them. Work on earlier iterations is dropped; work
    /// already planned on this one (bounded staleness) is kept.
    public mutating func begin(iteration t: UInt64, parameters: [UInt8], now: Double) throws(RunFailure) -> [Output] {
        try begin(iteration: t, round: 0, request: .metaGradient(items: settings.metaBatch), parameters: parameters, now: now)
    }

    /// Starts round `round` of iteration `t` with `request`, on the parameters of version `t`.
    /// Round 0 is ``begin(iteration:parameters:now:)`` with a request; a later round replaces
    /// the iteration's previous (completed) round, whose late answers are then dropped.
    /// `request.items` must be at most ``Settings/metaBatch`` (the job's message limit is
    /// derived from it).
    public mutating func begin(iteration t: UInt64, round: UInt32, request: RoundRequest, parameters: [UInt8],
                               now: Double) throws(RunFailure) -> [Output] {
        guard request.items >= 1, request.items <= settings.metaBatch else {
            throw RunFailure("round \(round) of iteration \(t) asks for \(request.items) items; the job allows 1…\(settings.metaBatch)")
        }
        currentVersion = t
        encodedParameters = parameters
        work = work.filter { $0.key >= t }
        if round > 0 || work[t] == nil || work[t]!.request != request {
            work[t] = IterationWork(round: round, request: request, blockSize: settings.blockSize)
        }
        return try tick(now: now)
    }

    /// Handles what a transport read.
    public mutating func received(_ inbound: Inbound, now: Double) -> [Output] {
        switch inbound {
        case .malformed(let id, let reason):
            counters.undecodableFrames += 1
            return [.log("dropped \(reason) from \(name(of: id))", about: id)]
        case .message(let id, let frame):
            let decoded: Result<Message, WireError>
            do throws(WireError) {
                decoded = .success(try WireCodec.decode(frame, maxBytes: job.maxMessageBytes > 0 ? Int(clamping: job.maxMessageBytes) : frame.count))
            } catch {
                decoded = .failure(error)
            }
            guard peers[id] != nil else { return stranger(id, decoded, now: now) }
            peers[id]!.lastHeard = now
            switch decoded {
            case .success(let message):
                var out: [Output] = []
                if case .hello(let h) = message { out += noteMixedBuild(h) }
                return out + handle(id, .received(message), now: now)
            case .failure(let error):
                counters.undecodableFrames += 1
                return handle(id, .undecodable(error), now: now)
            }
        }
    }

    /// A message from a peer that is not stored: only an acceptable hello (or a frame of
    /// another protocol version, answered with a reject) is worth anything; nothing of the
    /// rest is kept.
    private mutating func stranger(_ id: PeerID, _ decoded: Result<Message, WireError>, now: Double) -> [Output] {
        var peer = CoordinatorPeer(job: job, requiredIdentity: requiredIdentity)
        switch decoded {
        case .success(let message):
            if case .hello = message, peers.count >= settings.maxPeers {
                counters.refusedPeers += 1
                return [.send(.reject(RejectMessage(reason: .overloaded, text: "the coordinator serves \(settings.maxPeers) peers already")),
                              to: id)]
            }
            let actions = peer.handle(.received(message))
            if case .hello(let h) = message, peer.state == .jobSent {
                peers[id] = Entry(peer: peer, lastHeard: now)
                return noteMixedBuild(h) + perform(id, actions, now: now)
            }
            counters.droppedMessages += peer.droppedMessages
            return replies(actions, to: id)
        case .failure(let error):
            counters.undecodableFrames += 1  // counted once, here, not again as a dropped message
            return replies(peer.handle(.undecodable(error)), to: id)
        }
    }

    /// What is left of a stranger's actions: replies (a reject) are sent, log lines (rate-limited
    /// by the loop) printed; nothing is stored.
    private func replies(_ actions: [CoordinatorPeer.Action], to id: PeerID) -> [Output] {
        actions.compactMap { action in
            switch action {
            case .send(let m): return .send(m, to: id)
            case .log(let line): return .log(line, about: id)
            default: return nil
            }
        }
    }

    /// A send to `peer` found no route: its connection is gone.
    public mutating func sendFailed(to peer: PeerID, now: Double) -> [Output] {
        guard let entry = peers[peer], entry.peer.isLive else { return [] }
        counters.lostWorkers += 1
        let out = handle(peer, .disconnected, now: now)
        forget(peer)
        return out
    }

    /// Time the event loop did not run (``LoopStall``): not the peers' silence, nor time
    /// spent on their shards.
    public mutating func credit(stall seconds: Double, now: Double) {
        guard seconds > 0 else { return }
        for id in peers.keys {
            peers[id]!.lastHeard = min(now, peers[id]!.lastHeard + seconds)
            if let at = peers[id]!.assignedAt { peers[id]!.assignedAt = min(now, at + seconds) }
        }
    }

    /// Heartbeats, silence, deadlines, planning and dispatch that are due at `now`. Throws
    /// when training cannot go on (every worker answered a shard with non-finite values).
    public mutating func tick(now: Double) throws(RunFailure) -> [Output] {
        var out: [Output] = []
        if now >= nextHeartbeat {
            nextHeartbeat = now + settings.heartbeat.interval
            let stamp = UInt64(max(0, now * 1e9).rounded())
            for id in peers.keys.sorted(by: precedes) { out += handle(id, .heartbeatDue(now: stamp), now: now) }
        }
        let reference = referenceSpeed()
        for id in peers.keys.sorted(by: precedes) {
            guard let entry = peers[id] else { continue }
            let silence = now - entry.lastHeard
            if entry.peer.isLive {
                if silence > settings.heartbeat.timeout {
                    // Lost, but kept (lostRetention): a worker alive and unaware of it is sent
                    // the job again on its next heartbeat (see CoordinatorPeer).
                    counters.lostWorkers += 1
                    out += handle(id, .timeout, now: now)
                } else {
                    out += checkDeadline(id, referenceSpeed: reference, now: now)
                }
            } else if silence > settings.lostRetention || entry.peer.state != .lost {
                forget(id)
            }
        }
        out += plan(now: now)
        out += try dispatchPending(now: now)
        if settings.staleness > 0 { out += try planAhead(now: now) }
        return out
    }

    /// The shard in flight at `id` against its deadline: past it, a copy goes to another
    /// worker; every period past it is a strike; at ``ShardDeadlines/maxStrikes`` the worker
    /// is dropped.
    private mutating func checkDeadline(_ id: PeerID, referenceSpeed: Double?, now: Double) -> [Output] {
        guard let entry = peers[id], case .busy(let shard) = entry.peer.state, let at = entry.assignedAt else { return [] }
        let limit = settings.deadlines.seconds(tasks: shard.taskIndices.count, speed: entry.speed ?? referenceSpeed)
        let elapsed = now - at
        guard elapsed > limit else { return [] }
        let periods = Int(min(elapsed / limit, 1e6))
        guard periods > entry.expiredPeriods else { return [] }
        let first = entry.expiredPeriods == 0
        let strikes = periods - entry.expiredPeriods
        peers[id]!.expiredPeriods = periods
        peers[id]!.strikes += strikes
        counters.expiredShards += strikes
        if peers[id]!.strikes >= settings.deadlines.maxStrikes {
            counters.droppedWorkers += 1
            let text = "\(peers[id]!.strikes) shards in a row passed their deadlines (the last: \(fmt(limit)) s)"
            let out = handle(id, .refuse(.unresponsive, text), now: now)
            forget(id)
            return out
        }
        guard first else { return [] }
        var out: [Output] = [.log("\(name(of: id)) has had tasks \(shard.taskIndices.first ?? 0)… of iteration \(shard.iteration) "
                                  + "for \(fmt(elapsed)) s, past its deadline of \(fmt(limit)) s; giving them to another worker too",
                                  about: id)]
        out += requeue(shard)
        return out
    }

    /// The median speed of the workers that have one (the speed of a worker that has none yet).
    private func referenceSpeed() -> Double? {
        let known = peers.values.compactMap(\.speed).sorted()
        guard !known.isEmpty else { return nil }
        return known[known.count / 2]
    }

    // MARK: Planning and dispatch

    /// Plans the current iteration over the idle workers by their speeds once there are
    /// enough of them (``Settings/minWorkers`` before the run's first shard, one later).
    private mutating func plan(now: Double) -> [Output] {
        let t = currentVersion
        guard var w = work[t], !w.planned else { return [] }
        let idle = idlePeers()
        let enough = everHadWorkers ? readyWorkers > 0 : idle.count >= max(1, settings.minWorkers)
        guard enough else {
            if announcedWaiting { return [] }
            announcedWaiting = true
            let needed = everHadWorkers ? 1 : max(1, settings.minWorkers)
            return [.log("waiting for \(needed) worker(s) (\(idle.count) ready)", about: nil)]
        }
        everHadWorkers = true
        announcedWaiting = false
        w.planned = true
        var out: [Output] = []
        if idle.isEmpty {
            // All busy (with later iterations, or a shard past its deadline): queue equal shards.
            let ranges = ShardPlanner.plan(taskCount: w.request.items, speeds: Array(repeating: 1, count: max(1, readyWorkers)),
                                           blockSize: settings.blockSize).filter { !$0.isEmpty }
            w.pending = ranges.map {
                CoordinatorPeer.Shard(iteration: t, parameterVersion: t, round: w.round, taskIndices: $0.map { UInt32($0) })
            }
            work[t] = w
        } else {
            work[t] = w
            let shards = ShardPlanner.plan(taskCount: w.request.items, speeds: idle.map { peers[$0]?.speed ?? 0 },
                                           blockSize: settings.blockSize)
            for (id, range) in zip(idle, shards) where !range.isEmpty {
                out += assign(CoordinatorPeer.Shard(iteration: t, parameterVersion: t, round: w.round, taskIndices: range.map { UInt32($0) }),
                              to: id, now: now)
            }
        }
        return out
    }

    /// Bounded staleness: while workers are idle and nothing is pending, open the next
    /// iteration (at most `staleness` past the current one) as shards of whole blocks.
    private mutating func planAhead(now: Double) throws(RunFailure) -> [Output] {
        let t = currentVersion
        let last = t + UInt64(settings.staleness)
        var out: [Output] = []
        while !idlePeers().isEmpty, !work.values.contains(where: { !$0.pending.isEmpty }) {
            guard let u = (t...last).first(where: { work[$0]?.planned != true }), u < UInt64(settings.iterations) else { break }
            var w = work[u] ?? IterationWork(round: 0, request: .metaGradient(items: settings.metaBatch), blockSize: settings.blockSize)
            w.planned = true
            let ranges = ShardPlanner.plan(taskCount: settings.metaBatch, speeds: Array(repeating: 1, count: max(1, readyWorkers)),
                                           blockSize: settings.blockSize)
            w.pending = ranges.filter { !$0.isEmpty }.map {
                CoordinatorPeer.Shard(iteration: u, parameterVersion: currentVersion, taskIndices: $0.map { UInt32($0) })
            }
            work[u] = w
            out += try dispatchPending(now: now)
        }
        return out
    }

    /// Gives pending shards, earliest iteration first, to idle workers that neither refused
    /// them (non-finite answers) nor are computing them already. Shards requeued during the
    /// pass (a peer's actions) are kept for the next pass, never overwritten.
    private mutating func dispatchPending(now: Double) throws(RunFailure) -> [Output] {
        var out: [Output] = []
        for k in work.keys.sorted() {
            guard let w = work[k], !w.pending.isEmpty else { continue }
            let pending = w.pending
            work[k]!.pending = []
            var remaining: [CoordinatorPeer.Shard] = []
            let live = peers.filter { $0.value.peer.hasJob }.map(\.key)  // assigning keeps a peer live
            for shard in pending {
                guard let current = work[k], current.unanswered(shard) else { continue }
                let refused = current.refusedBy[shard.taskIndices] ?? []
                if !live.isEmpty, live.allSatisfy({ refused.contains($0) }) {
                    throw RunFailure("training diverged at iteration \(k): every worker answered tasks "
                                     + "\(shard.taskIndices.first ?? 0)… with non-finite values; resume from an earlier checkpoint "
                                     + "with a lower learning rate")
                }
                if let id = idlePeers().first(where: { !refused.contains($0) && !computing(shard, $0) }) {
                    out += assign(shard, to: id, now: now)
                } else {
                    remaining.append(shard)
                }
            }
            if work[k] != nil { work[k]!.pending = remaining + work[k]!.pending }
        }
        return out
    }

    private func computing(_ shard: CoordinatorPeer.Shard, _ id: PeerID) -> Bool {
        if case .busy(let s) = peers[id]?.peer.state {
            return s.iteration == shard.iteration && s.round == shard.round && s.taskIndices == shard.taskIndices
        }
        return false
    }

    /// Sends `shard` to `id` with the current parameters (a requeued shard of an older
    /// version is recomputed from the current ones) and its round's work and payload.
    private mutating func assign(_ shard: CoordinatorPeer.Shard, to id: PeerID, now: Double) -> [Output] {
        guard let w = work[shard.iteration], w.round == shard.round else { return [] }
        peers[id]?.assignedAt = now
        peers[id]?.expiredPeriods = 0
        return handle(id, .assign(AssignmentMessage(iteration: shard.iteration, parameterVersion: currentVersion, round: shard.round,
                                                     work: w.request.work, payload: w.request.payload,
                                                     taskIndices: shard.taskIndices, parameters: encodedParameters)), now: now)
    }

    private mutating func requeue(_ shard: CoordinatorPeer.Shard) -> [Output] {
        guard let w = work[shard.iteration], w.unanswered(shard) else { return [] }
        counters.reassignedShards += 1
        work[shard.iteration]!.reassigned += 1
        work[shard.iteration]!.pending.append(shard)
        return []
    }

    private func idlePeers() -> [PeerID] {
        peers.filter { $0.value.peer.isIdle }.map(\.key).sorted(by: precedes)
    }

    // MARK: Results and updates

    /// Iteration `t`'s outcomes and block sums once every task has one, removing it from the
    /// work in flight; nil while tasks are missing.
    public mutating func takeCompleted(_ t: UInt64) -> CompletedIteration? {
        guard let w = work[t], w.complete else { return nil }
        work[t] = nil
        return CompletedIteration(iteration: t, round: w.round, request: w.request, outcomes: w.outcomes.map { $0! },
                                  blockSums: w.blockSums.map { $0! },
                                  contributors: w.contributors.sorted(by: precedes), reassignedShards: w.reassigned,
                                  blockContributors: w.blockContributors.map { $0! }, previous: w.previous)
    }

    /// The update from `completed` made the parameters non-finite: it was rolled back. The
    /// iteration is computed again, every block by another worker than the one that gave it;
    /// honest workers give the same bits, so ``confirmUpdate(_:now:)`` then names whoever
    /// gave a different block. Throws when this already was such a recomputation (the
    /// training itself diverged) or when no other worker can recompute a block.
    public mutating func rejectUpdate(_ completed: CompletedIteration, now: Double) throws(RunFailure) -> [Output] {
        counters.rolledBackUpdates += 1
        let t = completed.iteration
        guard completed.previous == nil else {
            throw RunFailure("training diverged at iteration \(t): the outer update makes the parameters non-finite, also when "
                             + "every block is computed by another worker; it was not applied; resume from an earlier checkpoint "
                             + "with a lower learning rate")
        }
        guard completed.request.output == .blockSums else {
            throw RunFailure("training diverged at iteration \(t): the outer update from round \(completed.round)'s finite answers "
                             + "makes the parameters non-finite; it was not applied; resume from an earlier checkpoint "
                             + "with a lower learning rate")
        }
        var w = IterationWork(round: completed.round, request: completed.request, blockSize: settings.blockSize)
        w.planned = true
        w.previous = .init(blockSums: completed.blockSums, blockContributors: completed.blockContributors)
        let b = settings.blockSize
        for (block, contributor) in completed.blockContributors.enumerated() {
            let tasks = (block * b..<min((block + 1) * b, completed.request.items)).map { UInt32($0) }
            w.pending.append(CoordinatorPeer.Shard(iteration: t, parameterVersion: t, round: completed.round, taskIndices: tasks))
            w.refusedBy[tasks] = [contributor]
        }
        work[t] = w
        let out: [Output] = [.log("the update of iteration \(t) made the parameters non-finite; rolled back; computing every block "
                                  + "again on another worker to find which answers differ", about: nil)]
        return out + (try tick(now: now))
    }

    /// The recomputed update of `completed` is finite: drops every worker whose first answer
    /// for a block differs from the recomputation (honest workers give the same bits).
    public mutating func confirmUpdate(_ completed: CompletedIteration, now: Double) -> [Output] {
        guard let previous = completed.previous else { return [] }
        var culprits: [PeerID] = []
        for (block, sum) in completed.blockSums.enumerated() where block < previous.blockSums.count {
            if ParameterCoding.encode(sum) != ParameterCoding.encode(previous.blockSums[block]),
               !culprits.contains(previous.blockContributors[block]) {
                culprits.append(previous.blockContributors[block])
            }
        }
        var out: [Output] = []
        for id in culprits {
            out.append(.log("\(name(of: id)) sent block sums that differ from another worker's for iteration \(completed.iteration) "
                            + "(they made the update non-finite); dropping it", about: nil))
            guard peers[id] != nil else { continue }
            counters.droppedWorkers += 1
            out += handle(id, .refuse(.unresponsive, "its results for iteration \(completed.iteration) differ from another worker's "
                                      + "and made the parameters non-finite"), now: now)
            forget(id)
        }
        return out
    }

    private mutating func accept(_ result: ResultMessage, from id: PeerID, now: Double) -> [Output] {
        if let at = peers[id]?.assignedAt {
            let rate = Double(result.tasks.count) / max(now - at, 1e-6)
            peers[id]!.speed = peers[id]!.speed.map { 0.7 * $0 + 0.3 * rate } ?? rate
            if peers[id]!.expiredPeriods == 0 { peers[id]!.strikes = 0 }
            peers[id]!.assignedAt = nil
            peers[id]!.expiredPeriods = 0
        }
        // An iteration already applied, or a round already reduced.
        guard let w = work[result.iteration], w.round == result.round else { return [] }
        let shard = CoordinatorPeer.Shard(iteration: result.iteration, parameterVersion: result.parameterVersion,
                                          round: result.round, taskIndices: result.tasks.map(\.index))
        // Each reduction block's first task carries the block's gradient sum, the others none
        // (MetaGradient); every sum must decode to the model's layout with finite values, or
        // nothing of the result is used.
        let b = settings.blockSize
        var sums: [(Int, Parameters<Tensor<Float>>)] = []
        for task in result.tasks {
            let i = Int(task.index)
            let valid: Bool
            if i >= w.outcomes.count {
                valid = false
            } else if case .scalars(let n) = w.request.output {
                // Finite already (the codec refuses others); no block sums in such a round; each
                // scalar inside its bound, if the round states them.
                valid = task.metaGradient.isEmpty && task.scalars.count == n
                    && zip(task.scalars, w.request.scalarBounds).allSatisfy { $1.contains($0) }
            } else if !task.scalars.isEmpty {
                valid = false
            } else if i % b != 0 {
                valid = task.metaGradient.isEmpty
            } else if let g = try? ParameterCoding.decode(task.metaGradient, as: Float.self), g.names == layoutNames,
                      zip(g.values, layoutShapes).allSatisfy({ $0.shape == $1 }),
                      g.values.allSatisfy({ $0.withUnsafeBufferPointer { p in p.allSatisfy { $0.isFinite } } }) {
                sums.append((i / b, g))
                valid = true
            } else {
                valid = false
            }
            guard valid else {
                counters.rejectedResults += 1
                work[result.iteration]!.refusedBy[shard.taskIndices, default: []].insert(id)
                return [.log("rejected the result of \(name(of: id)) for iteration \(result.iteration) round \(result.round): "
                             + "a block sum with non-finite values or the wrong layout, or scalars of the wrong count or out of bounds; "
                             + "recomputing elsewhere", about: id)] + requeue(shard)
            }
        }
        let k = result.iteration
        for task in result.tasks where work[k]!.outcomes[Int(task.index)] == nil {
            var kept = task
            kept.metaGradient = []  // decoded into its block sum already
            work[k]!.outcomes[Int(task.index)] = kept
        }
        for (block, g) in sums where work[k]!.blockSums[block] == nil {
            work[k]!.blockSums[block] = g
            work[k]!.blockContributors[block] = id
        }
        work[k]!.contributors.insert(id)
        return []
    }

    // MARK: Shutdown

    /// Tells every connected worker that training is over (`finished`) or stopped.
    public mutating func shutdown(reason: String, finished: Bool) -> [Output] {
        var out: [Output] = []
        for id in peers.keys.sorted(by: precedes) { out += handle(id, .shutdown(reason, finished: finished), now: 0) }
        return out
    }

    // MARK: Peers

    /// The identity a worker must have, or nil when mixed builds are allowed (bounded
    /// staleness is not bit-identical anyway).
    private var requiredIdentity: BuildIdentity? {
        settings.allowMixedBuilds || settings.staleness > 0 ? nil : settings.identity
    }

    private mutating func noteMixedBuild(_ hello: HelloMessage) -> [Output] {
        guard requiredIdentity == nil, let difference = hello.identity.difference(from: settings.identity),
              warnedIdentities.count < 16, warnedIdentities.insert(hello.identity).inserted else { return [] }
        return [.log("warning: \(difference); results are not bit-identical across worker counts", about: nil)]
    }

    private mutating func forget(_ id: PeerID) {
        if let entry = peers[id] { counters.droppedMessages += entry.peer.droppedMessages }
        peers[id] = nil
    }

    private mutating func handle(_ id: PeerID, _ event: CoordinatorPeer.Event, now: Double) -> [Output] {
        guard var entry = peers[id] else { return [] }
        let actions = entry.peer.handle(event)
        peers[id] = entry
        let out = perform(id, actions, now: now)
        if let p = peers[id]?.peer, !p.isLive, p.state != .lost {
            // Rejected or closed: nothing more is accepted from it; keep nothing.
            forget(id)
        }
        return out
    }

    private mutating func perform(_ id: PeerID, _ actions: [CoordinatorPeer.Action], now: Double) -> [Output] {
        var out: [Output] = []
        for action in actions {
            switch action {
            case .send(let message):
                out.append(.send(message, to: id))
            case .accept(let result):
                out += accept(result, from: id, now: now)
            case .reassign(let shard):
                peers[id]?.assignedAt = nil
                out += requeue(shard)
            case .rejectResult(let shard, let why):
                counters.rejectedResults += 1
                work[shard.iteration]?.refusedBy[shard.taskIndices, default: []].insert(id)
                peers[id]?.assignedAt = nil
                out.append(.log("rejected the result of \(name(of: id)) for tasks \(shard.taskIndices.first ?? 0)…: \(why); "
                                + "recomputing elsewhere", about: id))
                out += requeue(shard)
            case .available:
                break
            case .log(let line):
                out.append(.log(line, about: id))
            }
        }
        return out
    }
}

/// A failure that ends a distributed run, with one line saying what to do.
public struct RunFailure: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Routing ids in byte order: every loop over peers visits them in the same order.
func precedes(_ a: PeerID, _ b: PeerID) -> Bool { a.lexicographicallyPrecedes(b) }

/// A routing id in hex, for logs.
public func hex(_ id: PeerID) -> String {
    let digits = Array("0123456789abcdef".utf8)
    return String(decoding: id.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
}

func fmt(_ seconds: Double) -> String {
    let tenths = (seconds * 10).rounded()
    return tenths.isFinite && abs(tenths) < 1e15 ? "\(Int(tenths) / 10).\(abs(Int(tenths)) % 10)" : "\(seconds)"
}
