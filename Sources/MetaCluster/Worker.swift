import CZeroMQ
import Foundation
import MetaTensor
import MetaAlgorithms
import MetaConfig
import MetaRuntime
import MetaTransport

/// A worker process's runtime: connects a DEALER socket to the coordinator, builds the job
/// it is handed, computes shards on a compute thread and answers heartbeats meanwhile.
///
/// The protocol decisions are ``WorkerPeer``'s; this type only moves bytes, keeps the
/// timers and carries out the peer's actions. Reconnects (after the coordinator went silent
/// for the heartbeat timeout) recreate the socket, so stale queued messages are dropped. A
/// hello that gets no answer is said again on a new connection after a delay that starts at
/// 1 s and doubles up to the heartbeat timeout, until the job arrives (libzmq's own TCP
/// reconnects back off from 100 ms to 5 s). Time this process did not run (SIGSTOP, a VM
/// pause, building the job) is not counted as the coordinator's silence (``LoopStall``).
/// ``run()`` returns the reason the session ended: a shutdown, a reject, or SIGINT/SIGTERM.
public final class Worker {
    public struct Options {
        public var endpoint: String
        public var name: String
        public var threads: Int
        public var heartbeat: HeartbeatSettings
        public var security: WorkerSecurity
        public var buildID: String
        /// Faults to inject (tests only).
        public var faults: WorkerFaults
        /// Checked every loop; true ends the session (e.g. the parent process is gone).
        public var stopWhen: (() -> Bool)?
        public var log: (String) -> Void

        public init(endpoint: String, name: String, threads: Int = 1, heartbeat: HeartbeatSettings = HeartbeatSettings(),
                    security: WorkerSecurity = .plain, buildID: String, faults: WorkerFaults = WorkerFaults(),
                    log: @escaping (String) -> Void) {
            self.endpoint = endpoint
            self.name = name
            self.threads = threads
            self.heartbeat = heartbeat
            self.security = security
            self.buildID = buildID
            self.faults = faults
            self.log = log
        }
    }

    /// A frame limit for the job message, before the job states its own.
    public static let initialMaxMessageBytes = 64 << 20

    public let options: Options
    private let context = ZMQContext()
    private var socket: ZMQSocket?
    private var peer: WorkerPeer
    private var trainer: MetaTrainer<Float>?
    private var maxMessageBytes = Worker.initialMaxMessageBytes
    private let computer: ShardComputer
    private var lastHeard = MonotonicClock.seconds
    private var nextHeartbeat = MonotonicClock.seconds
    /// Seconds to wait for an answer to the hello before saying it again.
    private var backoff: Double
    private var stall: LoopStall
    private var stopReason: String?
    /// Shards computed in this session.
    public private(set) var shardsComputed = 0

    public init(options: Options) {
        self.options = options
        peer = WorkerPeer(hello: HelloMessage(buildID: options.buildID, workerName: options.name,
                                              threads: UInt16(clamping: options.threads)))
        computer = ShardComputer(faults: options.faults)
        backoff = Self.firstHelloRetry(options.heartbeat)
        stall = LoopStall(threshold: options.heartbeat.interval)
    }

    /// The first delay before a hello is said again: 1 s, or the heartbeat timeout if shorter.
    static func firstHelloRetry(_ heartbeat: HeartbeatSettings) -> Double { min(1, heartbeat.timeout) }

    /// The longest delay between hellos: the heartbeat timeout (at least 1 s).
    static func lastHelloRetry(_ heartbeat: HeartbeatSettings) -> Double { max(1, heartbeat.timeout) }

    deinit { computer.close() }

    /// Runs the session until the coordinator shuts it down, rejects it, or a stop signal
    /// arrives; returns the reason. Throws only when the socket cannot be set up.
    public func run() throws(ZMQError) -> String {
        try connect()
        perform(peer.handle(.connected))
        while stopReason == nil {
            let now = MonotonicClock.seconds
            let wait = max(0, min(nextHeartbeat - now, 0.1))
            let fds = [computer.fileDescriptor] + (StopSignal.fileDescriptor >= 0 ? [StopSignal.fileDescriptor] : [])
            let ready = ZMQSocket.poll(socket.map { [$0] } ?? [], fds: fds, timeoutMilliseconds: Int(wait * 1000))
            if StopSignal.isRequested || options.stopWhen?() == true {
                _ = try? socket?.send([WireCodec.encode(.shutdown(ShutdownMessage(reason: "worker \(options.name) stopped by a signal")))])
                stopReason = "stopped by a signal"
                break
            }
            if ready.first == true { try drainSocket() }
            for outcome in computer.take() {
                switch outcome {
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
                if stalled > options.heartbeat.timeout {
                    options.log("this worker did not run for \(Int(stalled.rounded())) s (paused?); "
                                + "not counting that as the coordinator's silence")
                }
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
        socket?.close()
        return stopReason ?? "stopped"
    }

    private func connect() throws(ZMQError) {
        let s = try ZMQSocket(context: context, kind: .dealer)
        try options.security.apply(to: s)
        try s.set(ZMQ_MAXMSGSIZE, int64: Int64(maxMessageBytes))
        try s.set(ZMQ_SNDHWM, 64)
        try s.set(ZMQ_RCVHWM, 64)
        try s.set(ZMQ_RECONNECT_IVL, 100)
        try s.set(ZMQ_RECONNECT_IVL_MAX, 5000)
        try s.connect(options.endpoint)
        socket = s
        lastHeard = MonotonicClock.seconds
    }

    /// A new socket (a new connection, so a new routing id at the coordinator); the peer then
    /// says hello on it.
    private func reconnect() throws(ZMQError) {
        socket?.close()
        socket = nil
        try connect()
        perform(peer.handle(.connected))
    }

    private func drainSocket() throws(ZMQError) {
        while stopReason == nil, let s = socket, let frames = try s.receive() {
            guard frames.count == 1 else { continue }
            do {
                let message = try WireCodec.decode(frames[0], maxBytes: maxMessageBytes)
                lastHeard = MonotonicClock.seconds
                if case .job(let job) = message {
                    backoff = Self.firstHelloRetry(options.heartbeat)
                    maxMessageBytes = Int(clamping: max(job.maxMessageBytes, UInt64(Worker.initialMaxMessageBytes)))
                }
                perform(peer.handle(.received(message)))
            } catch {
                perform(peer.handle(.undecodable(error)))
            }
        }
    }

    private func send(_ message: Message) {
        guard let s = socket else { return }
        do {
            if try !s.send([WireCodec.encode(message)]) { options.log("could not queue a \(message.kind) (send queue full)") }
        } catch {
            options.log("send failed: \(error)")
        }
    }

    private func perform(_ actions: [WorkerPeer.Action]) {
        for action in actions {
            switch action {
            case .send(let message):
                send(message)
            case .buildJob(let job):
                perform(peer.handle(build(job)))
            case .compute(let assignment):
                guard let trainer else { perform(peer.handle(.computeFailed("no job built"))); continue }
                computer.submit(assignment, trainer: trainer)
            case .reconnect:
                do { try reconnect() } catch { stopReason = "cannot reconnect: \(error)" }
            case .log(let line):
                options.log(line)
            case .stop(let reason):
                stopReason = reason
            }
        }
    }

    private func build(_ job: JobMessage) -> WorkerPeer.Event {
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
