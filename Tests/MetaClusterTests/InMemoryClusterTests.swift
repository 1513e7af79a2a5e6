import Foundation
import Testing
import MetaTensor
import MetaNN
import MetaAlgorithms
import MetaConfig
import MetaRuntime
import MetaCluster
import MetaChecksum

/// The real `Coordinator` and `Worker` loops over the in-memory transport: workers on
/// threads, hostile peers played by the test, no sockets.
@Suite(.serialized) struct InMemoryClusterTests {
    static let identity = BuildIdentity(buildID: "test", blasKernel: "k", fingerprint: "f")

    static func configuration(iterations: Int) -> RunConfiguration {
        var c = RunConfiguration.presets["sine-maml"]!
        c.iterations = iterations
        return c
    }

    static func digest(_ p: Parameters<Tensor<Float>>) -> String { SHA256.hexDigest(ParameterCoding.encode(p)) }

    /// Parameters after `iterations` steps in this process (`--workers 0`).
    static func reference(iterations: Int) throws -> String {
        let trainer = try MetaTrainer<Float>(configuration: configuration(iterations: iterations))
        var state = trainer.initialState()
        for _ in 0..<iterations { state = trainer.step(state).0 }
        return digest(state.parameters)
    }

    /// Starts `count` workers on threads over `network`; returns their outcomes when they end.
    final class Workers: @unchecked Sendable {
        private let lock = NSLock()
        private var outcomes: [Worker.Outcome] = []
        private let done = DispatchGroup()

        init(_ count: Int, network: InMemoryNetwork, faults: WorkerFaults = WorkerFaults()) {
            for i in 0..<count {
                done.enter()
                let transport = network.worker()
                let thread = Thread { [self] in
                    let worker = Worker(options: Worker.Options(endpoint: "memory", name: "w\(i)",
                                                                heartbeat: HeartbeatSettings(interval: 0.1, timeout: 5),
                                                                identity: InMemoryClusterTests.identity, faults: faults, log: { _ in }),
                                        transport: transport)
                    let outcome = (try? worker.run()) ?? .stopped
                    lock.withLock { outcomes.append(outcome) }
                    done.leave()
                }
                thread.stackSize = 16 << 20
                thread.start()
            }
        }

        func wait() -> [Worker.Outcome] {
            _ = done.wait(timeout: .now() + 60)
            return lock.withLock { outcomes }
        }
    }

    static func coordinator(iterations: Int, network: InMemoryNetwork, minWorkers: Int, floor: Double = 10,
                            log: @escaping (String) -> Void = { _ in }) throws -> Coordinator {
        let trainer = try MetaTrainer<Float>(configuration: configuration(iterations: iterations))
        let options = Coordinator.Options(bind: "memory", minWorkers: minWorkers, heartbeat: HeartbeatSettings(interval: 0.1, timeout: 5),
                                          identity: identity, deadlines: ShardDeadlines(floor: floor, cap: 30), log: log)
        return Coordinator(trainer: trainer, options: options, transport: network.coordinator())
    }

    static func train(_ c: Coordinator, iterations: Int) throws -> Parameters<Tensor<Float>> {
        guard let trainer = c.trainer else { throw RunFailure("a coordinator without a trainer") }
        var state = trainer.initialState()
        for _ in 0..<iterations {
            guard let (next, _) = try c.iterate(state) else { throw RunFailure("interrupted") }
            state = next
        }
        c.shutdown(reason: "training finished", finished: true)
        return state.parameters
    }

    @Test func workersOverTheInMemoryTransportGiveTheOneProcessParameters() throws {
        let n = 30
        let reference = try Self.reference(iterations: n)
        for count in [1, 3] {
            let network = InMemoryNetwork()
            let c = try Self.coordinator(iterations: n, network: network, minWorkers: count)
            let workers = Workers(count, network: network)
            let parameters = try Self.train(c, iterations: n)
            #expect(Self.digest(parameters) == reference, "\(count) workers")
            let outcomes = workers.wait()
            #expect(outcomes.count == count)
            #expect(outcomes.allSatisfy { if case .session(.finished) = $0 { true } else { false } }, "\(outcomes)")
        }
    }

    @Test func aPeerThatTakesAShardAndOnlySendsHeartbeatsCannotStallTraining() throws {
        let n = 10
        let reference = try Self.reference(iterations: n)
        let network = InMemoryNetwork()
        var lines: [String] = []
        let lock = NSLock()
        let c = try Self.coordinator(iterations: n, network: network, minWorkers: 2, floor: 0.3,
                                     log: { line in lock.withLock { lines.append(line) } })
        // The hostile peer joins first, takes a shard, then only says it is alive.
        let hostile = network.worker()
        let stopHostile = HostilePeer(transport: hostile, job: c)
        let workers = Workers(1, network: network)
        let parameters = try Self.train(c, iterations: n)
        stopHostile.stop()
        #expect(Self.digest(parameters) == reference)
        #expect(c.counters.expiredShards >= 1)
        #expect(stopHostile.assignmentsTaken >= 1)
        _ = workers.wait()
    }
}

/// A peer that says hello and ready, takes whatever it is assigned, and never answers
/// except with heartbeats.
final class HostilePeer: @unchecked Sendable {
    private let lock = NSLock()
    private var running = true
    private var taken = 0
    var assignmentsTaken: Int { lock.withLock { taken } }

    init(transport: InMemoryTransport, job c: Coordinator) {
        let hello = HelloMessage(identity: InMemoryClusterTests.identity, workerName: "hostile", threads: 1)
        _ = transport.send(WireCodec.encode(.hello(hello)), to: [])
        transport.maxMessageBytes = 64 << 20
        let thread = Thread { [self] in
            while lock.withLock({ running }) {
                for item in transport.receive(timeout: 0.05, limit: 100) {
                    guard case .message(_, let frame) = item, let m = try? WireCodec.decode(frame, maxBytes: 64 << 20) else { continue }
                    switch m {
                    case .job(let job): _ = transport.send(WireCodec.encode(.ready(ReadyMessage(jobHash: job.jobHash))), to: [])
                    case .assignment: lock.withLock { taken += 1 }
                    default: break
                    }
                }
                _ = transport.send(WireCodec.encode(.heartbeat(HeartbeatMessage(sentAt: 1, iteration: 0))), to: [])
            }
        }
        thread.start()
        // Let it join before the honest worker, so it gets a shard of the first iteration.
        Thread.sleep(forTimeInterval: 0.2)
        _ = c.idle(for: 0.2)
    }

    func stop() { lock.withLock { running = false } }
}

/// A coordinator played by the test sends a worker assignments it cannot use: the worker
/// refuses them and ends its session (rejected), it never traps.
@Suite struct HostileCoordinatorTests {
    func session(_ hostile: (InMemoryTransport, PeerID, JobMessage) -> Void) throws -> (Worker.Outcome, [Message]) {
        let network = InMemoryNetwork()
        let coordinator = network.coordinator()
        coordinator.maxMessageBytes = 64 << 20
        let transport = network.worker()
        let box = OutcomeBox()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            let worker = Worker(options: Worker.Options(endpoint: "memory", name: "w", heartbeat: HeartbeatSettings(interval: 0.1, timeout: 5),
                                                        identity: InMemoryClusterTests.identity, log: { _ in }),
                                transport: transport)
            box.set((try? worker.run()) ?? .stopped)
            done.signal()
        }
        thread.stackSize = 16 << 20
        thread.start()
        var seen: [Message] = []
        func next(tries: Int = 100) -> Message? {
            for _ in 0..<tries {
                for case .message(_, let frame) in coordinator.receive(timeout: 0.1, limit: 10) {
                    if let m = try? WireCodec.decode(frame, maxBytes: 64 << 20) { seen.append(m); if case .heartbeat = m { continue }; return m }
                }
            }
            return nil
        }
        guard case .hello? = next() else { Issue.record("no hello"); return (.stopped, seen) }
        let c = InMemoryClusterTests.configuration(iterations: 10)
        let job = JobMessage(configurationYAML: ConfigFile.yaml(c), maxMessageBytes: 1 << 20)
        _ = coordinator.send(WireCodec.encode(.job(job)), to: transport.id)
        guard case .ready? = next() else { Issue.record("no ready"); return (.stopped, seen) }
        hostile(coordinator, transport.id, job)
        _ = done.wait(timeout: .now() + 30)
        while next(tries: 1) != nil {}
        return (box.get(), seen)
    }

    final class OutcomeBox: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Worker.Outcome = .stopped
        func set(_ v: Worker.Outcome) { lock.withLock { value = v } }
        func get() -> Worker.Outcome { lock.withLock { value } }
    }

    static func parameters() throws -> [UInt8] {
        let trainer = try MetaTrainer<Float>(configuration: InMemoryClusterTests.configuration(iterations: 10))
        return ParameterCoding.encode(trainer.initialState().parameters)
    }

    @Test(arguments: [
        ("indices past the meta-batch", 0 as UInt64, [1000, 1001, 1002, 1003] as [UInt32]),
        ("not whole blocks", 0, [1, 2]),
        ("an iteration past Int.max", UInt64.max, [0, 1, 2, 3]),
        ("no tasks", 0, []),
    ])
    func anAssignmentTheWorkerCannotUseEndsItsSessionWithoutATrap(_ what: String, _ iteration: UInt64, _ tasks: [UInt32]) throws {
        let parameters = try Self.parameters()
        let (outcome, seen) = try session { coordinator, worker, _ in
            let a = AssignmentMessage(iteration: iteration, parameterVersion: 0, taskIndices: tasks, parameters: parameters)
            _ = coordinator.send(WireCodec.encode(.assignment(a)), to: worker)
        }
        guard case .session(.rejected(let why)) = outcome else { Issue.record("\(what): \(outcome)"); return }
        #expect(why.contains("cannot compute"), "\(what): \(why)")
        #expect(seen.contains { if case .reject(let r) = $0 { r.reason == .malformed } else { false } }, "\(what)")
    }

    @Test func parametersThatDoNotDecodeEndTheSessionWithoutATrap() throws {
        let (outcome, _) = try session { coordinator, worker, _ in
            let a = AssignmentMessage(iteration: 0, parameterVersion: 0, taskIndices: [0, 1, 2, 3], parameters: [1, 2, 3, 4, 5])
            _ = coordinator.send(WireCodec.encode(.assignment(a)), to: worker)
        }
        guard case .session(.rejected) = outcome else { Issue.record("\(outcome)"); return }
    }
}
