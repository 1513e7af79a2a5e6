import Foundation
import MetaTensor
import MetaAlgorithms
import MetaConfig
import MetaRuntime
import MetaTransport

/// A worker process's event loop: moves bytes between a ``MetaRuntime/Transport`` and the
/// ``MetaRuntime/WorkerPeer`` (which makes the protocol decisions), builds the job it is
/// handed, and computes shards on a compute thread while heartbeats go on.
///
/// Reconnects (after the coordinator went silent for the heartbeat timeout) make a new
/// connection, so stale queued messages are dropped. A hello that gets no answer is said
/// again on a new connection after a delay that starts at 1 s and doubles up to the heartbeat
/// timeout, until the job arrives. Time this process did not run (SIGSTOP, a VM pause,
/// building the job) is not counted as the coordinator's silence (``LoopStall``). With
/// ``Options/giveUpAfter`` the worker gives up when no coordinator answered for that long.
/// ``run()`` returns how the session ended (``Outcome``), which the command turns into an
/// exit status.
public final class Worker {
    public struct Options {
        public var endpoint: String
        public var name: String
        public var threads: Int
        public var heartbeat: HeartbeatSettings
        public var security: WorkerSecurity
        /// This process's build, BLAS kernels and numeric fingerprint, sent in the hello.
        public var identity: BuildIdentity
        /// Faults to inject (tests only).
        public var faults: WorkerFaults
        /// Seconds without an answer from a coordinator after which the worker gives up (nil: never).
        public var giveUpAfter: Double?
        /// Checked every loop; true ends the session (e.g. the parent process is gone).
        public var stopWhen: (() -> Bool)?
        /// Jobs other than meta-training this worker can build (``ClusterJob``), tried in order.
        public var jobKinds: [ClusterJobKind] = []
        public var log: (String) -> Void

        public init(endpoint: String, name: String, threads: Int = 1, heartbeat: HeartbeatSettings = HeartbeatSettings(),
                    security: WorkerSecurity = .plain, identity: BuildIdentity, faults: WorkerFaults = WorkerFaults(),
                    log: @escaping (String) -> Void) {
            self.endpoint = endpoint
            self.name = name
            self.threads = threads
            self.heartbeat = heartbeat
            self.security = security
            self.identity = identity
            self.faults = faults
            self.log = log
        }
    }

    /// How a worker's session ended.
    public enum Outcome: Sendable, Equatable {
        /// The session ended by the protocol: finished, stopped by the coordinator, rejected, or the job failed.
        case session(WorkerPeer.Ending)
        /// No coordinator answered for ``Options/giveUpAfter`` seconds.
        case gaveUp(String)
        /// SIGINT, SIGTERM or ``Options/stopWhen``.
        case stopped

        public var reason: String {
            switch self {
            case .session(let ending): ending.reason
            case .gaveUp(let why): why
            case .stopped: "stopped by a signal"
            }
        }
    }

    /// A message limit before the job states its own.
    public static let initialMaxMessageBytes = 64 << 20

    public let options: Options
    private var transport: Transport?
    private var peer: WorkerPeer
    private var trainer: MetaTrainer<Float>?
    private var customJob: (any ClusterJob)?
    private let computer: ShardComputer
    private var lastHeard = MonotonicClock.seconds
    private var lastAnswer = MonotonicClock.seconds
    private var nextHeartbeat = MonotonicClock.seconds
    /// Seconds to wait for an answer to the hello before saying it again.
    private var backoff: Double
    private var stall: LoopStall
    private var outcome: Outcome?
    /// Shards computed in this session.
    public private(set) var shardsComputed = 0

    public init(options: Options) {
        self.options = options
        peer = WorkerPeer(hello: HelloMessage(identity: options.identity, workerName: options.name,
                                              threads: UInt16(clamping: options.threads)))
        computer = ShardComputer(faults: options.faults)
        backoff = Self.firstHelloRetry(options.heartbeat)
        stall = LoopStall(threshold: options.heartbeat.interval)
    }

    /// A worker on a transport made elsewhere (an ``MetaRuntime/InMemoryTransport`` in tests).
    public convenience init(options: Options, transport: Transport) {
        self.init(options: options)
        self.transport = transport
    }

    /// The first delay before a hello is said again: 1 s, or the heartbeat timeout if shorter.
    static func firstHelloRetry(_ heartbeat: HeartbeatSettings) -> Double { min(1, heartbeat.timeout) }

    /// The longest delay between hellos: the heartbeat timeout (at least 1 s).
    static func lastHelloRetry(_ heartbeat: HeartbeatSettings) -> Double { max(1, heartbeat.timeout) }

    deinit { computer.close() }

    /// Runs the session until the coordinator shuts it down or rejects it, the job fails, the
    /// worker gives up, or a stop signal arrives. Throws only when the socket cannot be set up.
    public func run() throws(ZMQError) -> Outcome {
        if transport == nil {
            let wake = [computer.fileDescriptor] + (StopSignal.fileDescriptor >= 0 ? [StopSignal.fileDescriptor] : [])
            transport = try ZMQWorkerTransport(endpoint: options.endpoint, security: options.security,
                                               maxMessageBytes: Worker.initialMaxMessageBytes, wake: wake)
        }
        lastHeard = MonotonicClock.seconds
        lastAnswer = lastHeard
        perform(peer.handle(.connected))
        while outcome == nil, let transport {
            let now = MonotonicClock.seconds
            let wait = max(0, min(nextHeartbeat - now, 0.1))
            let inbound = transport.receive(timeout: wait, limit: 1000)
            if StopSignal.isRequested || options.stopWhen?() == true {
                _ = transport.send(WireCodec.encode(.shutdown(ShutdownMessage(reason: "worker \(options.name) stopped by a signal"))),
                                   to: [])
                outcome = .stopped
                break
            }
            for item in inbound where outcome == nil {
                switch item {
                case .message(_, let frame):
                    do throws(WireError) {
                        let message = try WireCodec.decode(frame, maxBytes: transport.maxMessageBytes)
                        lastHeard = MonotonicClock.seconds
                        lastAnswer = lastHeard
                        if case .job(let job) = message {
                            backoff = Self.firstHelloRetry(options.heartbeat)
                            transport.maxMessageBytes = Int(clamping: max(job.maxMessageBytes, UInt64(Worker.initialMaxMessageBytes)))
                        }
                        perform(peer.handle(.received(message)))
                    } catch {
                        perform(peer.handle(.undecodable(error)))
                    }
                case .malformed(_, let reason):
                    options.log("dropped \(reason) from the coordinator")
                }
            }
            for done in computer.take() {
                switch done {
                case .computed(let result):
                    shardsComputed += 1
                    perform(peer.handle(.computed(result)))
                case .failed(let reason):
                    perform(peer.handle(.computeFailed(reason)))
                }
            }
            let t = MonotonicClock.seconds
            // Measured right before the silence check, so a stop anywhere since the last one counts.
            let stalled = stall.stalled(now: t, maxWait: wait)
            if stalled > 0 {
                // Nothing could arrive while this process did not run: not the coordinator's silence.
                lastHeard = min(t, lastHeard + stalled)
                lastAnswer = min(t, lastAnswer + stalled)
                if stalled > options.heartbeat.timeout {
                    options.log("this worker did not run for \(Int(stalled.rounded())) s (paused?); "
                                + "not counting that as the coordinator's silence")
                }
            }
            if let limit = options.giveUpAfter, t - lastAnswer > limit, outcome == nil {
                outcome = .gaveUp("no answer from a coordinator at \(options.endpoint) for \(Int(limit)) s; giving up")
                break
            }
            if t >= nextHeartbeat {
                nextHeartbeat = t + options.heartbeat.interval
                perform(peer.handle(.heartbeatDue(now: MonotonicClock.nanoseconds)))
            }
            let silence = peer.state == .helloSent ? backoff : options.heartbeat.timeout
            if t - lastHeard > silence {
                if peer.state == .helloSent {
                    backoff = min(backoff * 2, Self.lastHelloRetry(options.heartbeat))
                    options.log("no answer from \(options.endpoint) yet; saying hello again on a new connection "
                                + "(next try in \(String(format: "%.3g", backoff)) s)")
                    perform(peer.handle(.helloUnanswered))
                } else {
                    perform(peer.handle(.coordinatorTimeout))
                }
            }
        }
        computer.close()
        transport?.close(linger: 0.5)
        transport = nil
        return outcome ?? .stopped
    }

    private func perform(_ actions: [WorkerPeer.Action]) {
        for action in actions {
            switch action {
            case .send(let message):
                guard let transport else { continue }
                if transport.send(WireCodec.encode(message), to: []) == .queueFull {
                    options.log("could not queue a \(message.kind) (send queue full)")
                }
            case .buildJob(let job):
                perform(peer.handle(build(job)))
            case .compute(let assignment):
                if let customJob {
                    computer.submit(assignment, job: .custom(customJob))
                } else if let trainer {
                    computer.submit(assignment, job: .training(trainer))
                } else {
                    perform(peer.handle(.computeFailed("no job built")))
                }
            case .reconnect:
                do {
                    try transport?.reconnect()
                    lastHeard = MonotonicClock.seconds
                    perform(peer.handle(.connected))
                } catch {
                    outcome = .session(.rejected("cannot reconnect: \(error)"))
                }
            case .log(let line):
                options.log(line)
            case .stop(let ending):
                outcome = .session(ending)
            }
        }
    }

    private func build(_ job: JobMessage) -> WorkerPeer.Event {
        if let kind = options.jobKinds.first(where: { $0.matches(job.configurationYAML) }) {
            do {
                customJob = try kind.build(job.configurationYAML)
                trainer = nil
                options.log("job \(String(job.jobHash.description.prefix(12))): \(kind.marker.drop { $0 == "#" || $0 == " " })")
                return .jobBuilt(job.jobHash)
            } catch {
                return .jobFailed("\(error)")
            }
        }
        customJob = nil
        do {
            let configuration = try ConfigFile.parse(job.configurationYAML)
            trainer = try MetaTrainer<Float>(configuration: configuration)
            options.log("job \(String(job.jobHash.description.prefix(12))): \(configuration.name), meta-batch \(configuration.metaBatchSize)")
            return .jobBuilt(job.jobHash)
        } catch {
            return .jobFailed("\(error)")
        }
    }
}
