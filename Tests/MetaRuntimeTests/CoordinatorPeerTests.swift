import Testing
import MetaRuntime

@Suite struct CoordinatorPeerTests {
    let job = Fixtures.job
    let parameters: [UInt8] = [1, 2, 3, 4]

    func assignment(_ iteration: UInt64, version: UInt64 = 1, tasks: [UInt32] = [0, 1]) -> AssignmentMessage {
        AssignmentMessage(iteration: iteration, parameterVersion: version, taskIndices: tasks, parameters: parameters)
    }

    func result(for a: AssignmentMessage) -> ResultMessage {
        ResultMessage(iteration: a.iteration, parameterVersion: a.parameterVersion, tasks: a.taskIndices.map {
            .init(index: $0, loss: 1, metric: 0.5, metaGradient: [7], computeSeconds: 0.1)
        })
    }

    func idlePeer(requiredIdentity: BuildIdentity? = nil) -> CoordinatorPeer {
        var p = CoordinatorPeer(job: job, requiredIdentity: requiredIdentity)
        _ = p.handle(.received(.hello(Fixtures.hello)))
        _ = p.handle(.received(.ready(ReadyMessage(jobHash: job.jobHash))))
        return p
    }

    func busyPeer(_ a: AssignmentMessage) -> CoordinatorPeer {
        var p = idlePeer()
        _ = p.handle(.assign(a))
        return p
    }

    func isSendReject(_ actions: [CoordinatorPeer.Action], _ reason: RejectReason) -> Bool {
        actions.contains { if case .send(.reject(let r)) = $0 { r.reason == reason } else { false } }
    }

    @Test func normalCycleSendsJobAssignmentsAndAcceptsResults() {
        var p = CoordinatorPeer(job: job)
        #expect(p.state == .unknown)
        #expect(p.handle(.received(.hello(Fixtures.hello))) == [.send(.job(job))])
        #expect(p.state == .jobSent)
        #expect(p.name == "worker-1")
        #expect(p.handle(.received(.ready(ReadyMessage(jobHash: job.jobHash)))) == [.available])
        #expect(p.isIdle)

        let first = assignment(1)
        #expect(p.handle(.assign(first)) == [.send(.assignment(first))])
        #expect(p.state == .busy(CoordinatorPeer.Shard(first)))
        #expect(p.handle(.received(.heartbeat(HeartbeatMessage(sentAt: 5, iteration: 1)))) == [])
        #expect(p.handle(.heartbeatDue(now: 9)) == [.send(.heartbeat(HeartbeatMessage(sentAt: 9)))])
        #expect(p.handle(.received(.result(result(for: first)))) == [.accept(result(for: first)), .available])
        #expect(p.isIdle)

        // The worker holds version 1 now: the parameters are left out.
        let second = assignment(2, tasks: [2])
        var stripped = second
        stripped.parameters = []
        #expect(p.handle(.assign(second)) == [.send(.assignment(stripped))])
        #expect(p.handle(.received(.result(result(for: second)))) == [.accept(result(for: second)), .available])

        // A new version is sent in full.
        let third = assignment(3, version: 2)
        #expect(p.handle(.assign(third)) == [.send(.assignment(third))])
        #expect(p.droppedMessages == 0)
    }

    @Test func helloWithAnotherProtocolVersionIsRejected() {
        var p = CoordinatorPeer(job: job)
        let old = HelloMessage(protocolVersion: 2, buildID: "b1", workerName: "w", threads: 1)
        let actions = p.handle(.received(.hello(old)))
        #expect(isSendReject(actions, .protocolVersion))
        let text = actions.compactMap { if case .send(.reject(let r)) = $0 { r.text } else { nil } }.first ?? ""
        #expect(text.contains("protocol version 2") && text.contains("speaks \(WireCodec.protocolVersion)") && text.contains("upgrade"),
                "\(text)")
        #expect(p.state == .rejected(.protocolVersion))
        // Everything after is dropped and counted.
        _ = p.handle(.received(.hello(Fixtures.hello)))
        _ = p.handle(.received(.ready(ReadyMessage(jobHash: job.jobHash))))
        #expect(p.state == .rejected(.protocolVersion))
        #expect(p.droppedMessages == 2)
    }

    @Test func aFrameOfAnotherProtocolVersionIsAnsweredWithAProtocolVersionReject() {
        var p = CoordinatorPeer(job: job)
        let actions = p.handle(.undecodable(WireError(.unsupportedVersion, "v2", foundVersion: 2)))
        #expect(isSendReject(actions, .protocolVersion))
        #expect(p.state == .rejected(.protocolVersion))
    }

    @Test func aWorkerOfAnotherBuildIsRejectedWhenABuildIsRequired() {
        var p = CoordinatorPeer(job: job, requiredIdentity: BuildIdentity(buildID: "b2"))
        let actions = p.handle(.received(.hello(Fixtures.hello)))
        #expect(isSendReject(actions, .jobMismatch))
        #expect(actions.contains { if case .send(.reject(let r)) = $0 { r.text.contains("'b1'") && r.text.contains("'b2'") } else { false } })
        var q = CoordinatorPeer(job: job, requiredIdentity: BuildIdentity(buildID: "b1"))
        #expect(q.handle(.received(.hello(Fixtures.hello))) == [.send(.job(job))])
    }

    @Test func readyForAnotherJobIsRejected() {
        var p = CoordinatorPeer(job: job)
        _ = p.handle(.received(.hello(Fixtures.hello)))
        let other = JobHash(configurationYAML: "other")
        #expect(isSendReject(p.handle(.received(.ready(ReadyMessage(jobHash: other)))), .jobMismatch))
        #expect(p.state == .rejected(.jobMismatch))
    }

    @Test func outOfOrderMessagesAreDroppedCountedAndLoggedOnce() {
        var p = CoordinatorPeer(job: job)
        // A ready before hello.
        let first = p.handle(.received(.ready(ReadyMessage(jobHash: job.jobHash))))
        #expect(first.count == 1)
        guard case .log = first.first else { Issue.record("expected a log line"); return }
        #expect(p.handle(.received(.ready(ReadyMessage(jobHash: job.jobHash)))) == [])
        #expect(p.state == .unknown)

        var idle = idlePeer()
        let stray = result(for: assignment(1))
        _ = idle.handle(.received(.result(stray)))  // a result while idle
        #expect(idle.handle(.received(.result(stray))) == [])
        _ = idle.handle(.received(.job(job)))  // wrong direction
        _ = idle.handle(.received(.assignment(assignment(1))))  // wrong direction
        _ = idle.handle(.received(.ready(ReadyMessage(jobHash: job.jobHash))))  // a second ready
        #expect(idle.isIdle)
        #expect(idle.droppedMessages == 5)
    }

    @Test func aStaleResultWhileBusyIsDroppedAndTheShardStaysAssigned() {
        let current = assignment(5)
        var p = busyPeer(current)
        _ = p.handle(.received(.result(result(for: assignment(4)))))
        _ = p.handle(.received(.result(result(for: assignment(5, version: 0)))))
        #expect(p.state == .busy(CoordinatorPeer.Shard(current)))
        #expect(p.droppedMessages == 2)
        #expect(p.handle(.received(.result(result(for: current)))) == [.accept(result(for: current)), .available])
    }

    @Test func aResultWithOtherTasksRejectsTheWorkerAndReassignsTheShard() {
        let current = assignment(5, tasks: [0, 1, 2])
        var p = busyPeer(current)
        var wrong = result(for: current)
        wrong.tasks.swapAt(0, 2)
        let actions = p.handle(.received(.result(wrong)))
        #expect(actions.first == .reassign(CoordinatorPeer.Shard(current)))
        #expect(isSendReject(actions, .malformed))
        #expect(!actions.contains { if case .accept = $0 { true } else { false } })
    }

    @Test func timeoutWhileBusyReassignsTheShardAndALateResultIsNeverAccepted() {
        let current = assignment(8)
        var p = busyPeer(current)
        let actions = p.handle(.timeout)
        #expect(actions.first == .reassign(CoordinatorPeer.Shard(current)))
        #expect(p.state == .lost)
        #expect(p.handle(.received(.result(result(for: current)))).allSatisfy { if case .log = $0 { true } else { false } })
        #expect(p.droppedMessages == 1)
        #expect(p.handle(.heartbeatDue(now: 1)) == [])
        #expect(p.handle(.timeout) == [])

        // The worker reconnects: a fresh handshake, and parameters are sent in full again.
        #expect(p.handle(.received(.hello(Fixtures.hello))) == [.send(.job(job))])
        _ = p.handle(.received(.ready(ReadyMessage(jobHash: job.jobHash))))
        #expect(p.heldParameterVersion == nil)
        #expect(p.handle(.assign(assignment(9))) == [.send(.assignment(assignment(9)))])
    }

    @Test func timeoutWhileIdleLosesThePeerWithoutReassigning() {
        var p = idlePeer()
        let actions = p.handle(.timeout)
        #expect(!actions.contains { if case .reassign = $0 { true } else { false } })
        #expect(p.state == .lost)
    }

    @Test func helloFromABusyWorkerMeansItRestarted() {
        let current = assignment(3)
        var p = busyPeer(current)
        let actions = p.handle(.received(.hello(Fixtures.hello)))
        #expect(actions.first == .reassign(CoordinatorPeer.Shard(current)))
        #expect(actions.last == .send(.job(job)))
        #expect(p.state == .jobSent)
        #expect(p.heldParameterVersion == nil)
    }

    @Test func assigningToAPeerThatCannotTakeItReturnsTheShard() {
        var p = CoordinatorPeer(job: job)
        let a = assignment(1)
        let actions = p.handle(.assign(a))
        #expect(actions.first == .reassign(CoordinatorPeer.Shard(a)))
        #expect(p.state == .unknown)

        var busy = busyPeer(a)
        #expect(busy.handle(.assign(assignment(2))).first == .reassign(CoordinatorPeer.Shard(assignment(2))))
        #expect(busy.state == .busy(CoordinatorPeer.Shard(a)))

        var idle = idlePeer()
        var bare = assignment(1)
        bare.parameters = []
        #expect(idle.handle(.assign(bare)).first == .reassign(CoordinatorPeer.Shard(bare)))
        #expect(idle.isIdle)
    }

    @Test func rejectOrShutdownFromABusyWorkerReassignsItsShard() {
        let current = assignment(2)
        var r = busyPeer(current)
        let actions = r.handle(.received(.reject(RejectMessage(reason: .malformed, text: "training diverged"))))
        #expect(actions.first == .reassign(CoordinatorPeer.Shard(current)))
        #expect(actions.contains { if case .log(let line) = $0 { line.contains("training diverged") } else { false } })
        #expect(r.state == .rejected(.malformed))

        var s = busyPeer(current)
        #expect(s.handle(.received(.shutdown(ShutdownMessage(reason: "bye")))).first == .reassign(CoordinatorPeer.Shard(current)))
        #expect(s.state == .closed)
    }

    @Test func aNonFiniteResultIsRejectedAndItsShardRecomputedElsewhere() {
        let current = assignment(2)
        var p = busyPeer(current)
        let actions = p.handle(.undecodable(WireError(.nonFinite, "a result with non-finite values is rejected")))
        #expect(actions.first == .rejectResult(CoordinatorPeer.Shard(current), "a result with non-finite values is rejected"))
        #expect(actions.contains(.available))
        #expect(p.isIdle)
    }

    @Test func garbageFramesAreCountedAndDroppedWithoutEndingTheSession() {
        let current = assignment(2)
        var p = busyPeer(current)
        for kind in [WireError.Kind.badMagic, .checksumMismatch, .truncated, .tooLarge] {
            let actions = p.handle(.undecodable(WireError(kind, "garbage")))
            #expect(!actions.contains { if case .send = $0 { true } else { false } })
        }
        #expect(p.state == .busy(CoordinatorPeer.Shard(current)))
        #expect(p.droppedMessages == 4)
    }

    @Test func refusingAndShuttingDownSendTheMessage() {
        var p = CoordinatorPeer(job: job)
        #expect(isSendReject(p.handle(.refuse(.overloaded, "enough workers")), .overloaded))
        #expect(p.handle(.shutdown("done", finished: true)) == [])

        var q = idlePeer()
        #expect(q.handle(.shutdown("done", finished: true)) == [.send(.shutdown(ShutdownMessage(reason: "done", finished: true)))])
        #expect(q.state == .closed)
        #expect(q.handle(.shutdown("done", finished: true)) == [])
    }

    @Test func aWorkerAndACoordinatorComplete3IterationsThroughTheCodec() throws {
        var worker = WorkerPeer(hello: Fixtures.hello)
        var peer = CoordinatorPeer(job: job)
        var toCoordinator: [[UInt8]] = []
        var toWorker: [[UInt8]] = []
        var accepted: [ResultMessage] = []
        var available = 0

        func runWorker(_ actions: [WorkerPeer.Action]) {
            for action in actions {
                switch action {
                case .send(let m): toCoordinator.append(WireCodec.encode(m))
                case .buildJob(let j): runWorker(worker.handle(.jobBuilt(j.jobHash)))
                case .compute(let a): runWorker(worker.handle(.computed(result(for: a))))
                default: break
                }
            }
        }
        func runPeer(_ actions: [CoordinatorPeer.Action]) {
            for action in actions {
                switch action {
                case .send(let m): toWorker.append(WireCodec.encode(m))
                case .accept(let r): accepted.append(r)
                case .available: available += 1
                default: break
                }
            }
        }

        runWorker(worker.handle(.connected))
        for iteration in 1...3 {
            while !toCoordinator.isEmpty || !toWorker.isEmpty {
                for frame in toCoordinator { runPeer(peer.handle(.received(try WireCodec.decode(frame, maxBytes: 1 << 20)))) }
                toCoordinator = []
                for frame in toWorker { runWorker(worker.handle(.received(try WireCodec.decode(frame, maxBytes: 1 << 20)))) }
                toWorker = []
            }
            runPeer(peer.handle(.assign(assignment(UInt64(iteration), tasks: [UInt32(iteration)]))))
        }
        while !toCoordinator.isEmpty || !toWorker.isEmpty {
            for frame in toCoordinator { runPeer(peer.handle(.received(try WireCodec.decode(frame, maxBytes: 1 << 20)))) }
            toCoordinator = []
            for frame in toWorker { runWorker(worker.handle(.received(try WireCodec.decode(frame, maxBytes: 1 << 20)))) }
            toWorker = []
        }
        #expect(accepted.map(\.iteration) == [1, 2, 3])
        #expect(accepted.map { $0.tasks.map(\.index) } == [[1], [2], [3]])
        #expect(available == 4)
        #expect(worker.state == .ready && peer.isIdle)
        #expect(worker.droppedMessages == 0 && peer.droppedMessages == 0)
    }

    @Test func aLostWorkerWhoseHeartbeatsArriveAgainIsSentTheJobAgain() {
        let current = assignment(8)
        var p = busyPeer(current)
        #expect(p.handle(.timeout).first == .reassign(CoordinatorPeer.Shard(current)))
        let actions = p.handle(.received(.heartbeat(HeartbeatMessage(sentAt: 3, iteration: 8))))
        #expect(actions.last == .send(.job(job)))
        #expect(p.state == .jobSent)
        #expect(p.heldParameterVersion == nil)
        // Its late result is still never accepted.
        #expect(!p.handle(.received(.result(result(for: current)))).contains { if case .accept = $0 { true } else { false } })
        #expect(p.handle(.received(.ready(ReadyMessage(jobHash: job.jobHash)))) == [.available])
        // Parameters in full again.
        #expect(p.handle(.assign(assignment(9))) == [.send(.assignment(assignment(9)))])
    }

    @Test func aLostPeerThatNeverSaidHelloStaysLost() {
        var p = CoordinatorPeer(job: job)
        _ = p.handle(.received(.heartbeat(HeartbeatMessage(sentAt: 1))))
        _ = p.handle(.timeout)
        #expect(p.state == .lost)
        #expect(!p.handle(.received(.heartbeat(HeartbeatMessage(sentAt: 2)))).contains { if case .send = $0 { true } else { false } })
        #expect(p.state == .lost)
        #expect(p.handle(.received(.hello(Fixtures.hello))) == [.send(.job(job))])
    }

    @Test func aDisconnectedWorkerIsLostAndItsShardReassigned() {
        let current = assignment(4)
        var p = busyPeer(current)
        let actions = p.handle(.disconnected)
        #expect(actions.first == .reassign(CoordinatorPeer.Shard(current)))
        #expect(actions.contains { if case .log(let line) = $0 { line.contains("connection is gone") } else { false } })
        #expect(p.state == .lost)
        #expect(p.handle(.disconnected) == [])
    }

    @Test func aPauseOfBothSidesEndsWithTheSameConnectionWorkingAgain() throws {
        // The coordinator loses a busy worker that never noticed (both were paused); the
        // worker's next heartbeat starts the session over on the same connection.
        var worker = WorkerPeer(hello: Fixtures.hello)
        var peer = CoordinatorPeer(job: job)
        var inbox: [Message] = []
        func deliver(_ actions: [WorkerPeer.Action]) throws {
            for case .send(let m) in actions {
                for action in peer.handle(.received(try WireCodec.decode(WireCodec.encode(m), maxBytes: 1 << 20))) {
                    if case .send(let reply) = action { inbox.append(reply) }
                }
            }
        }
        func drain() throws {
            while !inbox.isEmpty {
                let m = inbox.removeFirst()
                var actions = worker.handle(.received(m))
                if case .buildJob(let j)? = actions.last { actions = worker.handle(.jobBuilt(j.jobHash)) }
                try deliver(actions)
            }
        }
        try deliver(worker.handle(.connected))
        try drain()
        let first = assignment(1)
        for case .send(let m) in peer.handle(.assign(first)) { inbox.append(m) }
        try drain()
        #expect(worker.state == .working(first))

        #expect(peer.handle(.timeout).first == .reassign(CoordinatorPeer.Shard(first)))
        try deliver(worker.handle(.heartbeatDue(now: 5)))
        try drain()
        #expect(worker.state == .ready && peer.isIdle)
        let second = assignment(2)
        for case .send(let m) in peer.handle(.assign(second)) { inbox.append(m) }
        try drain()
        #expect(worker.state == .working(second))
    }
}
