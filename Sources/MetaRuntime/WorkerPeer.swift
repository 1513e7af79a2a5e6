/// The worker's side of the protocol as a pure state machine: events in, actions out.
///
/// ```
/// connecting ──(connected: send hello)──▶ helloSent ──(job)──▶ building ──(jobBuilt: send ready)──▶ ready
///                                                      └─(job already built: send ready)──────────▶ ready
/// ready ──(assignment: compute)──▶ working ──(computed: send result)──▶ ready …
/// helloSent ──(hello unanswered: reconnect)──▶ reconnecting ──(connected: send hello)──▶ helloSent
/// connected state ──(coordinator timeout: reconnect)──▶ reconnecting
/// building | ready | working ──(job again: the coordinator had lost this worker; start over)──▶ building | ready
/// any ──(reject | shutdown | a job, assignment or result it cannot use: send reject, stop)──▶ stopped
/// ```
/// The transport drives it: it delivers decoded messages, decoding failures, local completions
/// (job built, shard computed) and timer events, and carries out the returned actions in order.
/// A message that is not expected in the current state (an assignment before the job, a result
/// of an abandoned shard) is dropped and counted, logged the first time for each (message,
/// state) pair, and leaves the state unchanged.
///
/// Until the coordinator answers the hello the worker sends nothing else (no heartbeats: a
/// coordinator can only drop them), and a hello that stays unanswered is said again on a new
/// connection (``Event/helloUnanswered``; the transport spaces the tries). A job that arrives
/// after the session started means the coordinator lost this worker (it was silent past the
/// timeout, e.g. paused) while the worker never noticed: the worker starts over exactly as
/// after its hello, abandoning the shard in flight (the coordinator has reassigned it).
public struct WorkerPeer: Sendable {
    /// Where the worker is in its session.
    public enum State: Sendable, Equatable {
        /// Waiting for the transport to connect.
        case connecting
        /// Hello sent; waiting for the job.
        case helloSent
        /// Building the job (model, task sampler) from its configuration.
        case building(JobHash)
        /// The job is built; waiting for an assignment.
        case ready
        /// Computing a shard.
        case working(AssignmentMessage)
        /// The coordinator went silent; waiting for the transport to reconnect.
        case reconnecting
        /// Finished, for the reason given; every further event is dropped.
        case stopped(String)
    }

    /// What happens next to the worker.
    public enum Event: Sendable, Equatable {
        /// The transport connected (or reconnected) to the coordinator.
        case connected
        /// A message arrived from the coordinator.
        case received(Message)
        /// A frame from the coordinator did not decode.
        case undecodable(WireError)
        /// The job from the last ``JobMessage`` is built.
        case jobBuilt(JobHash)
        /// The job could not be built (missing data set, invalid configuration).
        case jobFailed(String)
        /// The current shard is computed (built by the runtime from the task results).
        case computed(ResultMessage)
        /// The current shard could not be computed (e.g. the parameters do not decode).
        case computeFailed(String)
        /// Time to send a heartbeat; `now` is the monotonic clock in nanoseconds.
        case heartbeatDue(now: UInt64)
        /// Nothing arrived from the coordinator within the heartbeat timeout.
        case coordinatorTimeout
        /// The hello got no answer within the transport's retry delay: say it again on a new
        /// connection.
        case helloUnanswered
    }

    /// What the transport and runtime must do, in order.
    public enum Action: Sendable, Equatable {
        /// Send this message to the coordinator.
        case send(Message)
        /// Build the job: parse the configuration, build model and sampler, set the socket's
        /// maximum message size; then deliver ``Event/jobBuilt(_:)`` or ``Event/jobFailed(_:)``.
        case buildJob(JobMessage)
        /// Compute the shard (with the parameters it carries, or the version already held);
        /// then deliver ``Event/computed(_:)`` or ``Event/computeFailed(_:)``.
        case compute(AssignmentMessage)
        /// Drop the connection and connect again; then deliver ``Event/connected``.
        case reconnect
        /// Print this line.
        case log(String)
        /// Close the connection and exit, printing the reason.
        case stop(Ending)
    }

    /// Why a session ended, for the worker's exit status.
    public enum Ending: Sendable, Equatable {
        /// The coordinator said training finished.
        case finished(String)
        /// The coordinator shut down before training finished (a signal, a failure).
        case coordinatorStopped(String)
        /// Either side refused the other (a reject, another protocol version, an assignment
        /// or job this worker cannot use).
        case rejected(String)
        /// The job could not be built (missing data set, invalid configuration).
        case jobFailed(String)

        /// The reason, for the log.
        public var reason: String {
            switch self {
            case .finished(let r), .coordinatorStopped(let r), .rejected(let r), .jobFailed(let r): r
            }
        }
    }

    public private(set) var state: State = .connecting
    /// The hello this worker introduces itself with.
    public let hello: HelloMessage
    /// The job built last; kept across reconnects so the same job is not built twice.
    public private(set) var builtJob: JobHash?
    /// The parameter version the worker holds (received in full in an assignment).
    public private(set) var heldParameterVersion: UInt64?
    /// Messages dropped because they were not expected in the state they arrived in, or did
    /// not decode. (Stale local completions are ignored without being counted.)
    public private(set) var droppedMessages = 0
    private var logged: Set<String> = []

    public init(hello: HelloMessage) { self.hello = hello }

    /// Whether the session is over.
    public var isStopped: Bool { if case .stopped = state { true } else { false } }

    /// Advances the state machine by `event` and returns what to do.
    public mutating func handle(_ event: Event) -> [Action] {
        if case .stopped = state {
            if case .received(let message) = event { return drop("\(message.kind) after stop") }
            return []
        }
        switch event {
        case .connected:
            switch state {
            case .connecting, .reconnecting:
                state = .helloSent
                return [.send(.hello(hello))]
            default:
                return ignore("connected while \(state.name)")
            }

        case .received(let message):
            return receive(message)

        case .undecodable(let error):
            if error.kind == .unsupportedVersion {
                return stop(.rejected("the coordinator speaks another protocol version: \(error.description)"))
            }
            return drop("undecodable frame (\(error.kind))", detail: error.description)

        case .jobBuilt(let hash):
            guard case .building(let building) = state, building == hash else { return ignore("jobBuilt while \(state.name)") }
            builtJob = hash
            state = .ready
            return [.send(.ready(ReadyMessage(jobHash: hash)))]

        case .jobFailed(let reason):
            guard case .building = state else { return ignore("jobFailed while \(state.name)") }
            return reject(.jobMismatch, "cannot build the job: \(reason)", ending: Ending.jobFailed)

        case .computed(let result):
            guard case .working(let assignment) = state, result.iteration == assignment.iteration,
                  result.parameterVersion == assignment.parameterVersion, result.round == assignment.round,
                  result.tasks.map(\.index) == assignment.taskIndices
            else { return ignore("a computed result that is not the current assignment's (\(state.name))") }
            var log: [Action] = []
            if let bad = result.tasks.first(where: { !$0.loss.isFinite || !$0.metric.isFinite }) {
                // Sent anyway: the coordinator rejects it (it does not decode there) and has the
                // shard recomputed elsewhere, so a fault on this machine cannot corrupt the run.
                log = logOnce("non-finite result: iteration \(result.iteration) task \(bad.index) has loss \(bad.loss)",
                              key: "non-finite result")
            }
            if let bad = result.tasks.first(where: { !$0.computeSeconds.isFinite || $0.computeSeconds < 0 }) {
                return reject(.malformed, "task \(bad.index) reports a compute time of \(bad.computeSeconds) s")
            }
            state = .ready
            return log + [.send(.result(result))]

        case .computeFailed(let reason):
            guard case .working = state else { return ignore("computeFailed while \(state.name)") }
            return reject(.malformed, "cannot compute the assignment: \(reason)")

        case .heartbeatDue(let now):
            switch state {
            case .building, .ready:
                return [.send(.heartbeat(HeartbeatMessage(sentAt: now)))]
            case .working(let assignment):
                return [.send(.heartbeat(HeartbeatMessage(sentAt: now, iteration: assignment.iteration)))]
            default:
                return []
            }

        case .coordinatorTimeout:
            switch state {
            case .helloSent, .building, .ready, .working:
                // The coordinator reassigns whatever was in flight; a late completion is dropped.
                state = .reconnecting
                heldParameterVersion = nil
                return [.log("no message from the coordinator within the heartbeat timeout; reconnecting"), .reconnect]
            default:
                return []
            }

        case .helloUnanswered:
            guard state == .helloSent else { return ignore("helloUnanswered while \(state.name)") }
            state = .reconnecting
            return [.reconnect]
        }
    }

    private mutating func receive(_ message: Message) -> [Action] {
        switch (message, state) {
        case (.job(let job), .helloSent), (.job(let job), .building), (.job(let job), .ready), (.job(let job), .working):
            guard job.hashMatchesConfiguration else {
                return reject(.jobMismatch, "job hash \(job.jobHash) is not the SHA-256 of the configuration sent")
            }
            var log: [Action] = []
            if state != .helloSent {
                // The coordinator lost this worker and starts over; what was in flight is abandoned.
                log = [.log("the coordinator sent the job again while \(state.name) (it had lost this worker); starting over")]
                heldParameterVersion = nil
                if case .building(let hash) = state, hash == job.jobHash { return log }  // ready follows when built
            }
            if job.jobHash == builtJob {
                state = .ready
                return log + [.send(.ready(ReadyMessage(jobHash: job.jobHash)))]
            }
            builtJob = nil
            heldParameterVersion = nil
            state = .building(job.jobHash)
            return log + [.buildJob(job)]

        case (.assignment(let assignment), .ready):
            if assignment.carriesParameters {
                heldParameterVersion = assignment.parameterVersion
            } else if heldParameterVersion != assignment.parameterVersion {
                return reject(.malformed, "assignment without parameters for version \(assignment.parameterVersion), "
                                + "but this worker holds \(heldParameterVersion.map(String.init) ?? "none")")
            }
            state = .working(assignment)
            return [.compute(assignment)]

        case (.heartbeat, .helloSent), (.heartbeat, .building), (.heartbeat, .ready), (.heartbeat, .working):
            return []  // the transport noted that the coordinator is alive

        case (.reject(let r), _):
            return stop(.rejected("rejected by the coordinator (\(r.reason)): \(r.text)"))

        case (.shutdown(let s), _):
            return stop(s.finished ? .finished("the coordinator shut down: \(s.reason)")
                                   : .coordinatorStopped("the coordinator shut down before training finished: \(s.reason)"))

        default:
            return drop("\(message.kind) while \(state.name)")
        }
    }

    /// Sends a reject and stops.
    private mutating func reject(_ reason: RejectReason, _ text: String,
                                 ending: (String) -> Ending = Ending.rejected) -> [Action] {
        state = .stopped(text)
        return [.send(.reject(RejectMessage(reason: reason, text: text))), .stop(ending(text))]
    }

    private mutating func stop(_ ending: Ending) -> [Action] {
        state = .stopped(ending.reason)
        return [.stop(ending)]
    }

    /// Counts a dropped message; logs it the first time for each `key`.
    private mutating func drop(_ key: String, detail: String? = nil) -> [Action] {
        droppedMessages += 1
        return logOnce("dropped \(key)\(detail.map { ": " + $0 } ?? "")", key: key)
    }

    /// A local completion that is stale (its shard or job was abandoned): logged once, not counted.
    private mutating func ignore(_ key: String) -> [Action] {
        logOnce("ignored \(key)", key: key)
    }

    private mutating func logOnce(_ line: String, key: String) -> [Action] {
        guard logged.insert(key).inserted else { return [] }
        return [.log(line + " (repeats are not logged)")]
    }
}

extension WorkerPeer.State {
    /// A short name for logs.
    public var name: String {
        switch self {
        case .connecting: "connecting"
        case .helloSent: "helloSent"
        case .building: "building"
        case .ready: "ready"
        case .working: "working"
        case .reconnecting: "reconnecting"
        case .stopped: "stopped"
        }
    }
}
