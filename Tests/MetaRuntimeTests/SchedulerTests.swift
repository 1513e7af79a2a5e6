import Testing
import MetaTestKit
import MetaTensor
import MetaNN
import MetaRuntime

/// The coordinator's decisions, driven message by message and tick by tick without sockets.
@Suite struct SchedulerTests {
    static let identity = BuildIdentity(buildID: "metatrain test", blasKernel: "Haswell", fingerprint: "f00d")
    static let layout = (names: ["w"], shapes: [[2]])
    let a: PeerID = [1], b: PeerID = [2], c: PeerID = [3]

    func scheduler(metaBatch: Int = 8, minWorkers: Int = 2, floor: Double = 1, maxPeers: Int = 1024,
                   allowMixedBuilds: Bool = false) -> Scheduler {
        let settings = Scheduler.Settings(heartbeat: HeartbeatSettings(interval: 0.5, timeout: 30), minWorkers: minWorkers,
                                          deadlines: ShardDeadlines(floor: floor, cap: 100, slack: 4, maxStrikes: 3),
                                          identity: Self.identity, allowMixedBuilds: allowMixedBuilds, maxPeers: maxPeers,
                                          metaBatch: metaBatch, iterations: 100, blockSize: 4)
        return Scheduler(settings: settings, job: JobMessage(configurationYAML: "job", maxMessageBytes: 1 << 20), layout: Self.layout)
    }

    static func gradient(_ x: Float) -> [UInt8] {
        ParameterCoding.encode(Parameters([("w", Tensor<Float>(shape: [2], scalars: [x, -x]))]))
    }

    func frame(_ m: Message) -> [UInt8] { WireCodec.encode(m) }

    /// Says hello and ready from `id`.
    func join(_ s: inout Scheduler, _ id: PeerID, now: Double, identity: BuildIdentity = SchedulerTests.identity) -> [Scheduler.Output] {
        var out = s.received(.message(from: id, frame: frame(.hello(HelloMessage(identity: identity, workerName: "w\(id[0])", threads: 1)))),
                             now: now)
        out += s.received(.message(from: id, frame: frame(.ready(ReadyMessage(jobHash: s.job.jobHash)))), now: now)
        return out
    }

    /// The assignments in `out`, by peer.
    func assignments(_ out: [Scheduler.Output]) -> [(PeerID, AssignmentMessage)] {
        out.compactMap { if case .send(.assignment(let m), let id) = $0 { (id, m) } else { nil } }
    }

    func answer(_ s: inout Scheduler, _ id: PeerID, _ m: AssignmentMessage, gradient: Float = 1, now: Double) -> [Scheduler.Output] {
        let tasks = m.taskIndices.map { i in
            ResultMessage.TaskOutcome(index: i, loss: Double(i), metric: 0.5, metaGradient: i % 4 == 0 ? Self.gradient(gradient) : [],
                                      computeSeconds: 0.01)
        }
        let result = ResultMessage(iteration: m.iteration, parameterVersion: m.parameterVersion, tasks: tasks)
        return s.received(.message(from: id, frame: frame(.result(result))), now: now)
    }

    func heartbeat(_ s: inout Scheduler, _ id: PeerID, now: Double) -> [Scheduler.Output] {
        s.received(.message(from: id, frame: frame(.heartbeat(HeartbeatMessage(sentAt: 1, iteration: 0)))), now: now)
    }

    func rejects(_ out: [Scheduler.Output], to id: PeerID) -> [RejectMessage] {
        out.compactMap { if case .send(.reject(let r), let to) = $0, to == id { r } else { nil } }
    }

    @Test func planningWaitsForTheMinimumWorkersThenShardsTheWholeMetaBatch() throws {
        var s = scheduler()
        _ = join(&s, a, now: 0)
        #expect(assignments(try s.begin(iteration: 0, parameters: [9], now: 0)).isEmpty)
        _ = join(&s, b, now: 0.1)
        let given = assignments(try s.tick(now: 0.2))
        #expect(given.map(\.0) == [a, b])
        #expect(given.flatMap(\.1.taskIndices) == Array(0..<8))
        #expect(given.allSatisfy { $0.1.parameters == [9] })
    }

    @Test func aShardHeldByAPeerThatOnlySendsHeartbeatsIsGivenToAnotherWorkerAtItsDeadline() throws {
        var s = scheduler()
        _ = join(&s, a, now: 0)
        _ = join(&s, b, now: 0)
        let given = assignments(try s.begin(iteration: 0, parameters: [9], now: 0))
        let (toA, toB) = (given[0].1, given[1].1)
        _ = answer(&s, b, toB, now: 0.1)
        // A holds its shard and only says it is alive; before its deadline nothing moves.
        _ = heartbeat(&s, a, now: 0.5)
        #expect(assignments(try s.tick(now: 0.9)).isEmpty)
        let early = s.takeCompleted(0)
        #expect(early == nil)
        // Past the deadline (the floor, 1 s: B's speed makes 4 tasks a matter of milliseconds)
        // the shard goes to B as well.
        _ = heartbeat(&s, a, now: 1.0)
        let copy = assignments(try s.tick(now: 1.1))
        #expect(copy.count == 1)
        #expect(copy.first?.0 == b)
        #expect(copy.first?.1.taskIndices == toA.taskIndices)
        #expect(s.counters.expiredShards == 1)
        _ = answer(&s, b, copy[0].1, now: 1.2)
        let completed = s.takeCompleted(0)
        let done = try #require(completed)
        #expect(done.outcomes.map(\.index) == Array(0..<8))
        #expect(done.contributors == [b])
    }

    @Test func aPeerWhoseShardKeepsPassingItsDeadlineIsDropped() throws {
        var s = scheduler()
        _ = join(&s, a, now: 0)
        _ = join(&s, b, now: 0)
        let given = assignments(try s.begin(iteration: 0, parameters: [9], now: 0))
        _ = answer(&s, b, given[1].1, now: 0.1)
        var dropped: [RejectMessage] = []
        var now = 0.2
        while now < 10, dropped.isEmpty {
            _ = heartbeat(&s, a, now: now)
            let out = try s.tick(now: now)
            for (id, m) in assignments(out) where id == b { _ = answer(&s, b, m, now: now) }
            dropped = rejects(out, to: a)
            now += 0.1
        }
        // Three deadline periods of 1 s: dropped at about 3 s, never later.
        #expect(dropped.first?.reason == .unresponsive)
        #expect(now > 3 && now < 3.5)
        #expect(s.state(of: a) == nil)
        #expect(s.counters.droppedWorkers == 1)
        // A result from it after that is not accepted (it is a stranger now).
        let completed = s.takeCompleted(0)
        #expect(completed != nil)
    }

    @Test func theFirstValidResultWinsAndALateDuplicateChangesNothing() throws {
        var s = scheduler()
        _ = join(&s, a, now: 0)
        _ = join(&s, b, now: 0)
        let given = assignments(try s.begin(iteration: 0, parameters: [9], now: 0))
        _ = answer(&s, b, given[1].1, gradient: 1, now: 0.1)
        let copy = assignments(try s.tick(now: 1.5))
        #expect(copy.map(\.0) == [b])
        // The slow peer answers first after all; the copy's answer (other values) comes later.
        _ = answer(&s, a, given[0].1, gradient: 2, now: 1.6)
        _ = answer(&s, b, copy[0].1, gradient: 3, now: 1.7)
        let completed = s.takeCompleted(0)
        let done = try #require(completed)
        #expect(done.blockSums.map { ParameterCoding.encode($0) } == [Self.gradient(2), Self.gradient(1)])
        #expect(done.contributors == [a, b])
    }

    @Test func aShardWhoseSendFailedIsRequeuedAndCompletedByAnotherWorker() throws {
        var s = scheduler(minWorkers: 2)
        _ = join(&s, a, now: 0)
        _ = join(&s, b, now: 0)
        let given = assignments(try s.begin(iteration: 0, parameters: [9], now: 0))
        #expect(given.map(\.0) == [a, b])
        // The send to A finds no route (A's connection is gone).
        _ = s.sendFailed(to: a, now: 0.01)
        #expect(s.state(of: a) == nil)
        #expect(s.counters.reassignedShards == 1)
        _ = answer(&s, b, given[1].1, now: 0.1)
        let next = assignments(try s.tick(now: 0.2))
        #expect(next.map(\.0) == [b])
        #expect(next.first?.1.taskIndices == given[0].1.taskIndices)
        _ = answer(&s, b, next[0].1, now: 0.3)
        let completed = s.takeCompleted(0)
        #expect(completed != nil)
    }

    @Test func messagesFromPeersThatNeverSaidHelloLeaveNoState() throws {
        var s = scheduler()
        for i in 0..<2000 {
            let id: PeerID = [0xEE, UInt8(i >> 8), UInt8(i & 255)]
            _ = s.received(.message(from: id, frame: frame(.heartbeat(HeartbeatMessage(sentAt: 1)))), now: 0)
            _ = s.received(.message(from: id, frame: frame(.ready(ReadyMessage(jobHash: s.job.jobHash)))), now: 0)
            _ = s.received(.message(from: id, frame: [1, 2, 3]), now: 0)
        }
        #expect(s.storedPeers == 0)
        #expect(s.counters.droppedMessages == 4000)
        #expect(s.counters.undecodableFrames == 2000)
    }

    @Test func hellosWithOversizedBuildIdsDoNotDecodeAndCostNothing() throws {
        var s = scheduler()
        for i in 0..<200 {
            // A distinct 150 kB build id each time.
            let frameBytes = HostileFrames.hello(buildID: String(repeating: "x\(i % 10)", count: 75_000) + "\(i)")
            _ = s.received(.message(from: [0xAA, UInt8(i)], frame: frameBytes), now: 0)
        }
        #expect(s.storedPeers == 0)
        #expect(s.counters.undecodableFrames == 200)
    }

    @Test func peersBeyondTheLimitAreRefusedAsOverloaded() throws {
        var s = scheduler(maxPeers: 3)
        var refused = 0
        for i in 0..<10 {
            let out = join(&s, [0x10, UInt8(i)], now: 0)
            refused += rejects(out, to: [0x10, UInt8(i)]).filter { $0.reason == .overloaded }.count
        }
        #expect(s.storedPeers == 3)
        #expect(refused == 7)
        #expect(s.counters.refusedPeers == 7)
    }

    @Test func lostPeersAreForgottenAfterTheRetention() throws {
        var s = scheduler()
        for i in 0..<50 { _ = join(&s, [0x20, UInt8(i)], now: 0) }
        #expect(s.storedPeers == 50)
        _ = try s.tick(now: 31)  // silent past the 30 s timeout: lost, kept
        #expect(s.storedPeers == 50)
        #expect(s.readyWorkers == 0)
        _ = try s.tick(now: 100)  // past the retention (60 s after the last message)
        #expect(s.storedPeers == 0)
    }

    @Test func aWorkerOfAnotherBuildIsRejectedNamingTheDifference() throws {
        var s = scheduler()
        var other = Self.identity
        other.blasKernel = "SkylakeX"
        let out = join(&s, a, now: 0, identity: other)
        let reject = try #require(rejects(out, to: a).first)
        #expect(reject.reason == .jobMismatch)
        #expect(reject.text.contains("BLAS kernels 'SkylakeX'"))
        #expect(s.storedPeers == 0)

        var fingerprint = Self.identity
        fingerprint.fingerprint = "beef"
        #expect(rejects(join(&s, b, now: 0, identity: fingerprint), to: b).first?.text.contains("fingerprint") == true)
        #expect(join(&s, c, now: 0).allSatisfy { if case .send(.reject, _) = $0 { false } else { true } })
        #expect(s.readyWorkers == 1)
    }

    @Test func mixedBuildsAreAcceptedWithAWarningWhenAllowed() throws {
        var s = scheduler(allowMixedBuilds: true)
        var other = Self.identity
        other.buildID = "metatrain other"
        let out = join(&s, a, now: 0, identity: other)
        #expect(rejects(out, to: a).isEmpty)
        #expect(out.contains { if case .log(let line, _) = $0 { line.contains("not bit-identical") } else { false } })
        #expect(s.readyWorkers == 1)
    }

    @Test func aNonFiniteUpdateIsRecomputedBlockByBlockElsewhereAndTheWorkerWhoseBlocksDifferIsDropped() throws {
        var s = scheduler()
        _ = join(&s, a, now: 0)
        _ = join(&s, b, now: 0)
        let given = assignments(try s.begin(iteration: 0, parameters: [9], now: 0))
        #expect(given.map(\.0) == [a, b])
        _ = answer(&s, a, given[0].1, gradient: 3e38, now: 0.1)  // finite, but the sum overflows
        _ = answer(&s, b, given[1].1, gradient: 1, now: 0.1)
        let first = s.takeCompleted(0)
        let done = try #require(first)
        #expect(done.blockContributors == [a, b])
        // Rolled back: every block goes to the other worker.
        let again = assignments(try s.rejectUpdate(done, now: 0.2))
        #expect(Set(again.map { [$0.0[0], UInt8($0.1.taskIndices[0])] }) == [[2, 0], [1, 4]])
        for (id, m) in again { _ = answer(&s, id, m, gradient: 1, now: 0.3) }
        let second = s.takeCompleted(0)
        let recomputed = try #require(second)
        #expect(recomputed.previous != nil)
        let out = s.confirmUpdate(recomputed, now: 0.4)
        #expect(rejects(out, to: a).first?.reason == .unresponsive)
        #expect(rejects(out, to: b).isEmpty)
        #expect(s.state(of: a) == nil)
        #expect(s.state(of: b) == .idle)
        #expect(s.counters.rolledBackUpdates == 1)
    }

    @Test func anUpdateThatIsNonFiniteAlsoWhenRecomputedStopsTraining() throws {
        var s = scheduler()
        _ = join(&s, a, now: 0)
        _ = join(&s, b, now: 0)
        let given = assignments(try s.begin(iteration: 0, parameters: [9], now: 0))
        for (id, m) in given { _ = answer(&s, id, m, now: 0.1) }
        let first = s.takeCompleted(0)
        let again = assignments(try s.rejectUpdate(try #require(first), now: 0.2))
        for (id, m) in again { _ = answer(&s, id, m, now: 0.3) }
        let second = s.takeCompleted(0)
        let recomputed = try #require(second)
        #expect(throws: RunFailure.self) { _ = try s.rejectUpdate(recomputed, now: 0.4) }
    }

    @Test func aNonFiniteUpdateWithNoOtherWorkerToRecomputeItStopsTraining() throws {
        var s = scheduler(metaBatch: 4, minWorkers: 1)
        _ = join(&s, a, now: 0)
        let given = assignments(try s.begin(iteration: 0, parameters: [9], now: 0))
        _ = answer(&s, a, given[0].1, now: 0.1)
        let completed = s.takeCompleted(0)
        let done = try #require(completed)
        #expect(throws: RunFailure.self) { _ = try s.rejectUpdate(done, now: 0.2) }
    }

    @Test func aResultWithAGradientOfAnotherLayoutIsRejectedAndRecomputedElsewhere() throws {
        var s = scheduler()
        _ = join(&s, a, now: 0)
        _ = join(&s, b, now: 0)
        let given = assignments(try s.begin(iteration: 0, parameters: [9], now: 0))
        _ = answer(&s, b, given[1].1, now: 0.1)
        let wrong = ParameterCoding.encode(Parameters([("v", Tensor<Float>(shape: [3], scalars: [1, 2, 3]))]))
        let tasks = given[0].1.taskIndices.map {
            ResultMessage.TaskOutcome(index: $0, loss: 1, metric: 1, metaGradient: $0 % 4 == 0 ? wrong : [], computeSeconds: 0)
        }
        _ = s.received(.message(from: a, frame: frame(.result(ResultMessage(iteration: 0, parameterVersion: 0, tasks: tasks)))), now: 0.2)
        #expect(s.counters.rejectedResults == 1)
        let again = assignments(try s.tick(now: 0.3))
        #expect(again.map(\.0) == [b])
    }

    /// Answers `m` with `scalars` for every item (a round of scalars), echoing its round.
    func answerScalars(_ s: inout Scheduler, _ id: PeerID, _ m: AssignmentMessage, round: UInt32? = nil,
                       scalars: (UInt32) -> [Double], now: Double) -> [Scheduler.Output] {
        let tasks = m.taskIndices.map {
            ResultMessage.TaskOutcome(index: $0, loss: 1, metric: 2, metaGradient: [], computeSeconds: 0.01, scalars: scalars($0))
        }
        let result = ResultMessage(iteration: m.iteration, parameterVersion: m.parameterVersion, round: round ?? m.round, tasks: tasks)
        return s.received(.message(from: id, frame: frame(.result(result))), now: now)
    }

    @Test func anIterationOfSeveralRoundsCarriesEachRoundsWorkAndPayloadAndAcceptsOnlyThatRoundsAnswers() throws {
        var s = scheduler()
        _ = join(&s, a, now: 0)
        _ = join(&s, b, now: 0)
        // Round 0: the meta-gradient round, as every iteration had.
        let first = assignments(try s.begin(iteration: 0, parameters: [9], now: 0))
        #expect(first.allSatisfy { $0.1.round == 0 && $0.1.work == 0 && $0.1.payload.isEmpty })
        for (id, m) in first { _ = answer(&s, id, m, now: 0.1) }
        let taken0 = s.takeCompleted(0)
        let round0 = try #require(taken0)
        #expect(round0.round == 0 && round0.blockSums.count == 2)

        // Round 1 of the same iteration: a learner's work with a payload, answered by scalars.
        let request = RoundRequest(work: 7, payload: [1.5, -2], items: 6, output: .scalars(2))
        let second = assignments(try s.begin(iteration: 0, round: 1, request: request, parameters: [9], now: 0.2))
        #expect(second.map(\.0) == [a, b])
        #expect(second.allSatisfy { $0.1.round == 1 && $0.1.work == 7 && $0.1.payload == [1.5, -2] && $0.1.iteration == 0 })
        #expect(second.flatMap(\.1.taskIndices) == Array(0..<6))
        #expect(second.allSatisfy { $0.1.parameters.isEmpty })  // both hold version 0 already
        // An answer echoing another round is stale: dropped, nothing kept, the shard still out.
        _ = answerScalars(&s, a, second[0].1, round: 0, scalars: { [Double($0), 0] }, now: 0.3)
        #expect(s.state(of: a) == .busy(CoordinatorPeer.Shard(second[0].1)))
        // The wrong number of scalars is rejected and the shard given to the other worker.
        _ = answerScalars(&s, b, second[1].1, scalars: { [Double($0)] }, now: 0.3)
        #expect(s.counters.rejectedResults == 1)
        let incomplete = s.takeCompleted(0)
        #expect(incomplete == nil)
        _ = answerScalars(&s, a, second[0].1, scalars: { [Double($0), -Double($0)] }, now: 0.4)
        let again = assignments(try s.tick(now: 0.5))
        #expect(again.map(\.0) == [a] && again.first?.1.taskIndices == second[1].1.taskIndices && again.first?.1.round == 1)
        _ = answerScalars(&s, a, again[0].1, scalars: { [Double($0), -Double($0)] }, now: 0.6)
        let taken1 = s.takeCompleted(0)
        let round1 = try #require(taken1)
        #expect(round1.round == 1 && round1.request == request && round1.blockSums.isEmpty)
        #expect(round1.outcomes.map(\.scalars) == (0..<6).map { [Double($0), -Double($0)] })
    }

    @Test func scalarsOutsideTheRoundsBoundsAreRejectedAndRecomputedByAnotherWorker() throws {
        var s = scheduler()
        _ = join(&s, a, now: 0)
        _ = join(&s, b, now: 0)
        let request = RoundRequest(work: 7, items: 8, output: .scalars(2), scalarBounds: [0...1, 0...10])
        let shards = assignments(try s.begin(iteration: 0, round: 0, request: request, parameters: [9], now: 0))
        #expect(shards.map(\.0) == [a, b])
        // a fitness of 2 where at most 1 is possible: rejected, nothing kept, the shard goes to a.
        _ = answerScalars(&s, b, shards[1].1, scalars: { _ in [2, 1] }, now: 0.1)
        #expect(s.counters.rejectedResults == 1)
        _ = answerScalars(&s, a, shards[0].1, scalars: { _ in [0.5, 10] }, now: 0.2)
        let again = assignments(try s.tick(now: 0.3))
        #expect(again.map(\.0) == [a] && again.first?.1.taskIndices == shards[1].1.taskIndices)
        _ = answerScalars(&s, a, again[0].1, scalars: { _ in [1, 0] }, now: 0.4)
        let taken = s.takeCompleted(0)
        let round = try #require(taken)
        #expect(round.outcomes.map(\.scalars) == Array(repeating: [0.5, 10], count: 4) + Array(repeating: [1, 0], count: 4))
        #expect(s.counters.rejectedResults == 1)
    }

    @Test func aRoundAskingForMoreItemsThanTheJobAllowsStopsTraining() throws {
        var s = scheduler(metaBatch: 8)
        _ = join(&s, a, now: 0)
        #expect(throws: RunFailure.self) {
            _ = try s.begin(iteration: 0, round: 0, request: RoundRequest(work: 1, items: 9, output: .scalars(1)), parameters: [9], now: 0)
        }
    }

    @Test func aMalformedMessageIsCountedAndChangesNothing() throws {
        var s = scheduler()
        _ = join(&s, a, now: 0)
        let out = s.received(.malformed(from: a, reason: "a message of more than 3 parts"), now: 0)
        #expect(s.counters.undecodableFrames == 1)
        #expect(out.contains { if case .log(let line, _) = $0 { line.contains("more than 3 parts") } else { false } })
        #expect(s.readyWorkers == 1)
    }

    @Test func shutdownTellsWorkersWhetherTrainingFinished() throws {
        var s = scheduler()
        _ = join(&s, a, now: 0)
        let out = s.shutdown(reason: "training finished", finished: true)
        #expect(out == [.send(.shutdown(ShutdownMessage(reason: "training finished", finished: true)), to: a)])
    }
}
