import MetaTensor
import MetaNN

/// One message of the coordinator–worker protocol (``WireCodec/protocolVersion`` 3).
///
/// The coordinator binds a ROUTER socket; each worker connects a DEALER. A session is:
/// ```
/// worker                          coordinator
///   hello  ───────────────────────▶            version and build checked
///          ◀─────────────────────── job        (or reject)
///   ready  ───────────────────────▶            job hash checked
///          ◀─────────────────────── assignment (iteration, round, work, payload, item indices, parameters)
///   result ───────────────────────▶            reduced in item-index order
///          … assignment / result …             (one or more rounds per iteration)
///   heartbeat ◀──────────────────▶ heartbeat   both ways, periodically, once the job is sent
///          ◀─────────────────────── shutdown   (or reject, either direction)
/// ```
/// Each case's payload documents who sends it, when, and what the receiver does. The byte
/// encoding is ``WireCodec``; the peers' rules are ``WorkerPeer`` and ``CoordinatorPeer``.
public enum Message: Sendable, Equatable {
    case hello(HelloMessage)
    case job(JobMessage)
    case ready(ReadyMessage)
    case assignment(AssignmentMessage)
    case result(ResultMessage)
    case heartbeat(HeartbeatMessage)
    case reject(RejectMessage)
    case shutdown(ShutdownMessage)

    /// The message's type, as written in the frame header.
    public var kind: MessageKind {
        switch self {
        case .hello: .hello
        case .job: .job
        case .ready: .ready
        case .assignment: .assignment
        case .result: .result
        case .heartbeat: .heartbeat
        case .reject: .reject
        case .shutdown: .shutdown
        }
    }
}

/// The message type byte of a frame. Values are part of the wire format: never renumber.
public enum MessageKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case hello = 1, job = 2, ready = 3, assignment = 4, result = 5, heartbeat = 6, reject = 7, shutdown = 8

    public var description: String {
        switch self {
        case .hello: "hello"
        case .job: "job"
        case .ready: "ready"
        case .assignment: "assignment"
        case .result: "result"
        case .heartbeat: "heartbeat"
        case .reject: "reject"
        case .shutdown: "shutdown"
        }
    }
}

/// Worker → coordinator, first message after connecting (and after every reconnect).
///
/// The coordinator checks `protocolVersion` (answering `reject(.protocolVersion)` when it
/// differs) and, if it requires one, the `buildID`; then it answers with ``JobMessage``.
/// A hello from a peer the coordinator already knows means the worker restarted: its shard,
/// if any, is reassigned and the handshake starts again.
public struct HelloMessage: Sendable, Equatable {
    /// The protocol version the worker speaks (``WireCodec/protocolVersion``).
    public var protocolVersion: UInt16
    /// The worker's build, BLAS kernels and numeric fingerprint (different ones may not
    /// compute bit-identical gradients); every field at most ``BuildIdentity/maxFieldBytes``.
    public var identity: BuildIdentity
    /// A human-readable name for logs (host name, process id); at most ``WireCodec/maxNameBytes``.
    public var workerName: String
    /// The number of compute threads the worker will use.
    public var threads: UInt16

    public init(protocolVersion: UInt16 = WireCodec.protocolVersion, identity: BuildIdentity, workerName: String, threads: UInt16) {
        self.protocolVersion = protocolVersion
        self.identity = identity
        self.workerName = clipped(workerName, maxBytes: WireCodec.maxNameBytes)
        self.threads = threads
    }

    /// A hello with only a build id (no kernel family or fingerprint).
    public init(protocolVersion: UInt16 = WireCodec.protocolVersion, buildID: String, workerName: String, threads: UInt16) {
        self.init(protocolVersion: protocolVersion, identity: BuildIdentity(buildID: buildID), workerName: workerName, threads: threads)
    }

    /// An identifier of the worker's build.
    public var buildID: String { identity.buildID }
}

/// Coordinator → worker, the answer to an accepted hello: what to train. Sent again, without
/// a new hello, to a worker the coordinator had lost whose heartbeats arrive again: the
/// worker then starts over as after its hello (abandoning the shard in flight).
///
/// The worker checks that `jobHash` is the SHA-256 of `configurationYAML`, sets its socket's
/// maximum message size to `maxMessageBytes`, builds the model and task sampler from the
/// configuration and answers ``ReadyMessage`` (or `reject(.jobMismatch)` when it cannot).
public struct JobMessage: Sendable, Equatable {
    /// SHA-256 of `configurationYAML`.
    public var jobHash: JobHash
    /// The run configuration as YAML (MetaConfig's `ConfigFile.yaml`).
    public var configurationYAML: String
    /// The largest frame either side will send or accept for this job (ZMQ_MAXMSGSIZE),
    /// see ``WireCodec/maxMessageBytes(parameterBytes:tasks:)``.
    public var maxMessageBytes: UInt64

    public init(jobHash: JobHash, configurationYAML: String, maxMessageBytes: UInt64) {
        self.jobHash = jobHash
        self.configurationYAML = configurationYAML
        self.maxMessageBytes = maxMessageBytes
    }

    /// A job whose hash is computed from the configuration.
    public init(configurationYAML: String, maxMessageBytes: UInt64) {
        self.init(jobHash: JobHash(configurationYAML: configurationYAML), configurationYAML: configurationYAML,
                  maxMessageBytes: maxMessageBytes)
    }

    /// Whether `jobHash` is the SHA-256 of `configurationYAML`.
    public var hashMatchesConfiguration: Bool { jobHash == JobHash(configurationYAML: configurationYAML) }
}

/// Worker → coordinator, once the job is built: the worker can take assignments.
///
/// The coordinator checks `jobHash` against its job (`reject(.jobMismatch)` when it differs)
/// and marks the worker idle.
public struct ReadyMessage: Sendable, Equatable {
    public var jobHash: JobHash
    public init(jobHash: JobHash) { self.jobHash = jobHash }
}

/// Coordinator → an idle worker: a shard of one round of an iteration.
///
/// An iteration is one or more rounds, each a request of the learner's iteration program
/// (MetaAlgorithms' `IterationProgram`): `work` says what to compute for each item (0: the
/// per-task meta-gradient step; other codes are the learner's, such as ES-MAML's fitness of a
/// perturbation pair), `payload` carries the round's vector (a conjugate-gradient direction,
/// the weights of a reduction; empty for most rounds). The worker rebuilds each item from
/// (seed, iteration, index), runs the learner's work on the parameters of `parameterVersion`
/// and answers one ``ResultMessage`` with the items in the order of `taskIndices`.
public struct AssignmentMessage: Sendable, Equatable {
    /// The meta-iteration the tasks belong to.
    public var iteration: UInt64
    /// The version of the parameters to use (it increases with every meta-update).
    public var parameterVersion: UInt64
    /// The round within the iteration (0 for the first request).
    public var round: UInt32
    /// What to compute per item: 0 is the meta-gradient step, other codes the learner's.
    public var work: UInt16
    /// The round's vector, finite values (empty when the work needs none).
    public var payload: [Double]
    /// The indices of the tasks within the meta-batch, in the order results must come back.
    public var taskIndices: [UInt32]
    /// The ``ParameterCoding`` bytes of the parameters of `parameterVersion`, or empty when
    /// the worker already holds that version.
    public var parameters: [UInt8]

    public init(iteration: UInt64, parameterVersion: UInt64, round: UInt32 = 0, work: UInt16 = 0, payload: [Double] = [],
                taskIndices: [UInt32], parameters: [UInt8]) {
        self.iteration = iteration
        self.parameterVersion = parameterVersion
        self.round = round
        self.work = work
        self.payload = payload
        self.taskIndices = taskIndices
        self.parameters = parameters
    }

    /// An assignment carrying `parameters` in ``ParameterCoding``.
    public init<S: TensorScalar>(iteration: UInt64, parameterVersion: UInt64, round: UInt32 = 0, work: UInt16 = 0,
                                 payload: [Double] = [], taskIndices: [UInt32], parameters: Parameters<Tensor<S>>) {
        self.init(iteration: iteration, parameterVersion: parameterVersion, round: round, work: work, payload: payload,
                  taskIndices: taskIndices, parameters: ParameterCoding.encode(parameters))
    }

    /// Whether the parameters are included (false: the worker uses the version it holds).
    public var carriesParameters: Bool { !parameters.isEmpty }
}

/// Worker → coordinator, the answer to an assignment: one outcome per assigned item.
///
/// The coordinator accepts it only from the worker it assigned the shard to, for the same
/// iteration, round, parameter version and item indices; it then reduces the round's results
/// in item-index order (block sums of meta-gradients, or each item's scalars), so the reduction
/// does not depend on which worker ran what. A result with a non-finite loss, metric or scalar
/// does not decode (``WireError/Kind/nonFinite``).
public struct ResultMessage: Sendable, Equatable {
    /// The outcome of one task.
    public struct TaskOutcome: Sendable, Equatable {
        /// The task's index within the meta-batch.
        public var index: UInt32
        /// Query loss after adaptation; finite.
        public var loss: Double
        /// Query metric after adaptation (MSE or accuracy); finite.
        public var metric: Double
        /// The meta-gradient (or the round's block sum) in ``ParameterCoding``: for rounds
        /// that reduce block sums, carried by each block's first item; empty otherwise.
        public var metaGradient: [UInt8]
        /// Wall-clock seconds spent on the task; finite and not negative.
        public var computeSeconds: Double
        /// The item's scalars, for rounds whose result is a vector per item (ES-MAML's fitness
        /// of each perturbation of a pair); finite; empty for rounds that reduce block sums.
        public var scalars: [Double]

        public init(index: UInt32, loss: Double, metric: Double, metaGradient: [UInt8], computeSeconds: Double,
                    scalars: [Double] = []) {
            self.index = index
            self.loss = loss
            self.metric = metric
            self.metaGradient = metaGradient
            self.computeSeconds = computeSeconds
            self.scalars = scalars
        }

        /// An outcome whose meta-gradient is encoded with ``ParameterCoding``.
        public init<S: TensorScalar>(index: UInt32, loss: Double, metric: Double, metaGradient: Parameters<Tensor<S>>,
                                     computeSeconds: Double) {
            self.init(index: index, loss: loss, metric: metric, metaGradient: ParameterCoding.encode(metaGradient),
                      computeSeconds: computeSeconds)
        }

        /// The meta-gradient, decoded (throws ``ParameterCodingError``).
        public func decodedMetaGradient<S: TensorScalar>(as: S.Type = S.self) throws -> Parameters<Tensor<S>> {
            try ParameterCoding.decode(metaGradient, as: S.self)
        }
    }

    public var iteration: UInt64
    public var parameterVersion: UInt64
    /// The assignment's round.
    public var round: UInt32
    /// In the order of the assignment's `taskIndices`.
    public var tasks: [TaskOutcome]

    public init(iteration: UInt64, parameterVersion: UInt64, round: UInt32 = 0, tasks: [TaskOutcome]) {
        self.iteration = iteration
        self.parameterVersion = parameterVersion
        self.round = round
        self.tasks = tasks
    }
}

/// Either direction, periodically (every few seconds) on an established connection: from
/// the job on (a worker sends none while its hello is unanswered).
///
/// The receiver only notes that the sender is alive; a peer that stays silent past the
/// heartbeat timeout is considered lost (coordinator: its shard is reassigned, and a heartbeat
/// that arrives later is answered with the job again; worker: it reconnects). Workers report the iteration they are working on, the coordinator sends nil.
public struct HeartbeatMessage: Sendable, Equatable {
    /// The sender's monotonic clock in nanoseconds (for round-trip estimates, not for ordering).
    public var sentAt: UInt64
    /// The iteration the worker is computing, nil when idle or sent by the coordinator.
    public var iteration: UInt64?

    public init(sentAt: UInt64, iteration: UInt64? = nil) {
        self.sentAt = sentAt
        self.iteration = iteration
    }
}

/// Why a peer refuses to go on. Values are part of the wire format: never renumber.
public enum RejectReason: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// The peer speaks another protocol version.
    case protocolVersion = 1
    /// Another job (configuration hash) or build than expected, or the job cannot be built.
    case jobMismatch = 2
    /// The peer is not allowed to join.
    case notAuthorized = 3
    /// A message that does not decode or breaks the protocol's rules.
    case malformed = 4
    /// The coordinator has enough workers.
    case overloaded = 5
    /// The worker's shards kept passing their deadlines, or its results made the parameters
    /// non-finite: the coordinator stops using it.
    case unresponsive = 6

    public var description: String {
        switch self {
        case .protocolVersion: "protocol version"
        case .jobMismatch: "job mismatch"
        case .notAuthorized: "not authorized"
        case .malformed: "malformed message"
        case .overloaded: "overloaded"
        case .unresponsive: "unresponsive or faulty"
        }
    }
}

/// Either direction: the sender refuses to continue with the receiver and will ignore it.
///
/// Both sides print the reason and the text. A worker that receives it stops; the coordinator
/// drops the worker and reassigns its shard, if any.
public struct RejectMessage: Sendable, Equatable {
    public var reason: RejectReason
    /// A human-readable explanation, printed by the receiver.
    public var text: String

    /// `text` is clipped to ``WireCodec/maxTextBytes`` bytes of UTF-8.
    public init(reason: RejectReason, text: String) {
        self.reason = reason
        self.text = clipped(text, maxBytes: WireCodec.maxTextBytes)
    }
}

/// Coordinator → worker at the end of training (or worker → coordinator when it exits).
///
/// The receiver prints the reason; a worker stops, the coordinator forgets the worker and
/// reassigns its shard, if any.
public struct ShutdownMessage: Sendable, Equatable {
    public var reason: String
    /// Whether training finished (a worker then exits 0); false when the sender stopped
    /// early (a signal, a failure), so a worker exits non-zero and a supervisor restarts it.
    public var finished: Bool
    /// `reason` is clipped to ``WireCodec/maxTextBytes`` bytes of UTF-8.
    public init(reason: String, finished: Bool = false) {
        self.reason = clipped(reason, maxBytes: WireCodec.maxTextBytes)
        self.finished = finished
    }
}

/// `text` shortened, at a character boundary, to at most `maxBytes` bytes of UTF-8.
func clipped(_ text: String, maxBytes: Int) -> String {
    guard text.utf8.count > maxBytes else { return text }
    var out = Substring(text)
    while out.utf8.count > maxBytes - 3 { out = out.dropLast(max(1, (out.utf8.count - maxBytes) / 4)) }
    return out + "…"
}
