/// The coordinator's view of one worker as a pure state machine: events in, actions out.
///
/// ```
/// unknown ──(hello ok: send job)──▶ jobSent ──(ready, matching hash)──▶ idle
/// idle ──(assign: send assignment)──▶ busy ──(result for that shard: accept)──▶ idle …
/// unknown | jobSent | idle | busy ──(timeout | disconnected)──▶ lost ──(hello ok: send job)──▶ jobSent
/// lost ──(heartbeat from a worker that said hello: it never noticed; send job again)──▶ jobSent
/// jobSent | idle | busy ──(hello again: the worker restarted; send job)──▶ jobSent
/// busy ──(result with non-finite values: rejectResult)──▶ idle
/// any live ──(hello or frame of another version | ready with other hash | reject | refuse)──▶ rejected
/// any live ──(shutdown, either side)──▶ closed
/// ```
/// Whenever a busy peer leaves `busy` other than by its result, the machine returns
/// ``Action/reassign(_:)`` (or ``Action/rejectResult(_:_:)``) with its shard, so no shard is ever lost; and a result is accepted
/// only in `busy`, for exactly the shard assigned, so none is ever reduced twice.
///
/// A lost worker may be alive and unaware of it (both sides were paused, or the coordinator
/// was; its heartbeats arrive again on the same connection). The scheduler therefore keeps a
/// lost peer for a while, and the worker's next heartbeat starts its session over: the job is
/// sent again (the worker answers with ready, abandoning the shard it may still compute),
/// instead of dropping its heartbeats until the worker's own timeout makes it reconnect.
/// Its late result is still never accepted.
///
/// The scheduler creates one peer per connection (ROUTER routing id), delivers decoded
/// messages, decoding failures, its own decisions (assign, refuse, shut down) and timer
/// events, and carries out the returned actions in order. A message not expected in the
/// current state (a result while idle, a ready before hello, a job from a worker) and a frame
/// that does not decode are dropped and counted, logged the first time for each (message,
/// state) pair, and change nothing: garbage on the socket never ends a worker's session.
public struct CoordinatorPeer: Sendable {
    /// A shard of a meta-batch: what was assigned, without the parameters.
    public struct Shard: Sendable, Equatable {
        public var iteration: UInt64
        public var parameterVersion: UInt64
        /// The round of the iteration (see ``AssignmentMessage/round``).
        public var round: UInt32
        public var taskIndices: [UInt32]

        public init(iteration: UInt64, parameterVersion: UInt64, round: UInt32 = 0, taskIndices: [UInt32]) {
            self.iteration = iteration
            self.parameterVersion = parameterVersion
            self.round = round
            self.taskIndices = taskIndices
        }

        public init(_ assignment: AssignmentMessage) {
            self.init(iteration: assignment.iteration, parameterVersion: assignment.parameterVersion, round: assignment.round,
                      taskIndices: assignment.taskIndices)
        }
    }

    /// Where the worker is, as far as the coordinator knows.
    public enum State: Sendable, Equatable {
        /// Connected, no hello yet.
        case unknown
        /// Hello accepted, job sent; waiting for ready.
        case jobSent
        /// Ready for a shard.
        case idle
        /// Computing this shard.
        case busy(Shard)
        /// Silent past the timeout, or disconnected; its shard was reassigned. A new hello, or a
        /// heartbeat from a worker that had said hello, brings it back.
        case lost
        /// Refused, by either side, for this reason; every further message is dropped.
        case rejected(RejectReason)
        /// Shut down, by either side; every further message is dropped.
        case closed
    }

    /// What happens next to this peer.
    public enum Event: Sendable, Equatable {
        /// A message arrived from the worker.
        case received(Message)
        /// A frame from the worker did not decode.
        case undecodable(WireError)
        /// The scheduler gives this peer a shard. `parameters` should always be the full
        /// encoding; the peer leaves them out when the worker already holds the version.
        case assign(AssignmentMessage)
        /// The scheduler refuses this worker (e.g. `.overloaded`, `.notAuthorized`).
        case refuse(RejectReason, String)
        /// Time to send a heartbeat; `now` is the monotonic clock in nanoseconds.
        case heartbeatDue(now: UInt64)
        /// The worker was silent past the heartbeat timeout, or its shard exceeded its deadline.
        case timeout
        /// The worker's connection is gone (a send found no route to it).
        case disconnected
        /// Training is over (`finished`) or the coordinator stops early: tell the worker to stop.
        case shutdown(String, finished: Bool)
    }

    /// What the transport and scheduler must do, in order.
    public enum Action: Sendable, Equatable {
        /// Send this message to the worker.
        case send(Message)
        /// Hand this result (for the shard the peer was busy with) to the reducer.
        case accept(ResultMessage)
        /// The peer will not deliver this shard: give it to another worker.
        case reassign(Shard)
        /// The peer answered this shard with non-finite values: recompute it on another
        /// worker, never apply the answer.
        case rejectResult(Shard, String)
        /// The peer is idle and can take a shard.
        case available
        /// Print this line.
        case log(String)
    }

    public private(set) var state: State = .unknown
    /// The job every worker must build.
    public let job: JobMessage
    /// The build identity a worker must report in its hello, or nil to accept any.
    public let requiredIdentity: BuildIdentity?
    /// The worker's hello, once accepted.
    public private(set) var hello: HelloMessage?
    /// The parameter version the worker holds (sent in full with an earlier assignment).
    public private(set) var heldParameterVersion: UInt64?
    /// Messages dropped because they were not expected in the state they arrived in.
    public private(set) var droppedMessages = 0
    private var logged: Set<String> = []

    public init(job: JobMessage, requiredIdentity: BuildIdentity? = nil) {
        self.job = job
        self.requiredIdentity = requiredIdentity
    }

    /// The worker's name for logs.
    public var name: String { hello?.workerName ?? "unidentified worker" }

    /// Whether the peer can take a shard.
    public var isIdle: Bool { state == .idle }

    /// Whether the worker has the job built and is connected: idle or computing a shard.
    public var hasJob: Bool {
        switch state {
        case .idle, .busy: true
        default: false
        }
    }

    /// Whether the peer is connected and has not been rejected, lost or closed.
    public var isLive: Bool {
        switch state {
        case .unknown, .jobSent, .idle, .busy: true
        case .lost, .rejected, .closed: false
        }
    }

    /// Advances the state machine by `event` and returns what to do.
    public mutating func handle(_ event: Event) -> [Action] {
        switch event {
        case .received(let message):
            return receive(message)

        case .undecodable(let error):
            guard isLive else { return drop("undecodable frame while \(state.name)") }
            if error.kind == .unsupportedVersion {
                return reject(.protocolVersion, error.description)
            }
            if error.kind == .nonFinite, case .busy(let shard) = state {
                // The worker's answer to its shard, with NaN or infinite values: never applied.
                state = .idle
                return [.rejectResult(shard, error.description), .available]
            }
            return drop("undecodable frame (\(error.kind))", detail: error.description)

        case .assign(var assignment):
            let shard = Shard(assignment)
            guard state == .idle else {
                return [.reassign(shard)] + logOnce("cannot assign to \(name) while \(state.name)", key: "assign \(state.name)")
            }
            if heldParameterVersion == assignment.parameterVersion {
                assignment.parameters = []
            } else if assignment.carriesParameters {
                heldParameterVersion = assignment.parameterVersion
            } else {
                return [.reassign(shard)]
                    + logOnce("cannot assign without parameters: \(name) does not hold version \(assignment.parameterVersion)",
                              key: "assign without parameters")
            }
            state = .busy(shard)
            return [.send(.assignment(assignment))]

        case .refuse(let reason, let text):
            guard isLive else { return [] }
            return reject(reason, text)

        case .heartbeatDue(let now):
            switch state {
            case .jobSent, .idle, .busy: return [.send(.heartbeat(HeartbeatMessage(sentAt: now)))]
            default: return []
            }

        case .timeout, .disconnected:
            guard isLive else { return [] }
            let shard = leave(.lost)
            let why = event == .timeout ? "silent past the timeout" : "its connection is gone"
            return (shard.map { [.reassign($0)] } ?? []) + [.log("lost \(name): \(why)")]

        case .shutdown(let reason, let finished):
            let connected = isLive
            guard connected || state == .lost else { return [] }
            let shard = leave(.closed)
            return (shard.map { [.reassign($0)] } ?? [])
                + (connected ? [.send(.shutdown(ShutdownMessage(reason: reason, finished: finished)))] : [])
        }
    }

    private mutating func receive(_ message: Message) -> [Action] {
        switch (message, state) {
        case (.hello(let h), .unknown), (.hello(let h), .lost), (.hello(let h), .jobSent), (.hello(let h), .idle),
             (.hello(let h), .busy):
            guard h.protocolVersion == WireCodec.protocolVersion else {
                return reject(.protocolVersion, "the worker speaks protocol version \(h.protocolVersion) and this coordinator speaks "
                                + "\(WireCodec.protocolVersion): run the same metatrain release on both (upgrade the older one)")
            }
            if let required = requiredIdentity, let difference = h.identity.difference(from: required) {
                return reject(.jobMismatch, "\(difference); a synchronous run is bit-identical only across identical builds "
                                + "(or start the coordinator with --allow-mixed-builds)")
            }
            var actions: [Action] = []
            switch state {
            case .jobSent, .idle, .busy:
                if let shard = leave(.jobSent) { actions.append(.reassign(shard)) }
                actions.append(.log("\(name) said hello again (restarted); starting over"))
            default:
                break
            }
            hello = h
            heldParameterVersion = nil
            state = .jobSent
            return actions + [.send(.job(job))]

        case (.ready(let r), .jobSent):
            guard r.jobHash == job.jobHash else {
                return reject(.jobMismatch, "worker built job \(r.jobHash); the job is \(job.jobHash)")
            }
            state = .idle
            return [.available]

        case (.result(let result), .busy(let shard)):
            guard result.iteration == shard.iteration, result.parameterVersion == shard.parameterVersion, result.round == shard.round else {
                return drop("stale result while busy", detail: "iteration \(result.iteration) version \(result.parameterVersion), "
                                + "assigned iteration \(shard.iteration) version \(shard.parameterVersion)")
            }
            guard result.tasks.map(\.index) == shard.taskIndices else {
                return reject(.malformed, "result for iteration \(result.iteration) has tasks "
                                + "\(result.tasks.map(\.index)); assigned were \(shard.taskIndices)")
            }
            state = .idle
            return [.accept(result), .available]

        case (.heartbeat, .jobSent), (.heartbeat, .idle), (.heartbeat, .busy):
            return []  // the transport noted that the worker is alive

        case (.heartbeat, .lost) where hello != nil:
            // Lost, but alive and unaware: start its session over on this connection.
            heldParameterVersion = nil
            state = .jobSent
            return [.log("\(name) is back after being lost; sending the job again"), .send(.job(job))]

        case (.reject(let r), _) where isLive:
            let shard = leave(.rejected(r.reason))
            return (shard.map { [.reassign($0)] } ?? []) + [.log("\(name) rejected the coordinator (\(r.reason)): \(r.text)")]

        case (.shutdown(let s), _) where isLive:
            let shard = leave(.closed)
            return (shard.map { [.reassign($0)] } ?? []) + [.log("\(name) shut down: \(s.reason)")]

        default:
            return drop("\(message.kind) while \(state.name)")
        }
    }

    /// Moves to `next` and returns the shard that was in flight, if any.
    private mutating func leave(_ next: State) -> Shard? {
        defer { state = next }
        if case .busy(let shard) = state { return shard }
        return nil
    }

    /// Sends a reject, moves to `rejected` and reassigns the shard in flight.
    private mutating func reject(_ reason: RejectReason, _ text: String) -> [Action] {
        let shard = leave(.rejected(reason))
        return (shard.map { [.reassign($0)] } ?? [])
            + [.send(.reject(RejectMessage(reason: reason, text: text))), .log("rejected \(name) (\(reason)): \(text)")]
    }

    /// Counts a dropped message; logs it the first time for each `key`.
    private mutating func drop(_ key: String, detail: String? = nil) -> [Action] {
        droppedMessages += 1
        return logOnce("dropped \(key) from \(name)\(detail.map { " (" + $0 + ")" } ?? "")", key: key)
    }

    private mutating func logOnce(_ line: String, key: String) -> [Action] {
        guard logged.insert(key).inserted else { return [] }
        return [.log(line + " (repeats are not logged)")]
    }
}

extension CoordinatorPeer.State {
    /// A short name for logs.
    public var name: String {
        switch self {
        case .unknown: "unknown"
        case .jobSent: "jobSent"
        case .idle: "idle"
        case .busy: "busy"
        case .lost: "lost"
        case .rejected: "rejected"
        case .closed: "closed"
        }
    }
}
