import Testing
import MetaRuntime

@Suite struct WorkerPeerTests {
    let job = Fixtures.job
    let assignment = AssignmentMessage(iteration: 4, parameterVersion: 2, taskIndices: [3, 4], parameters: [9, 9, 9])

    func result(for a: AssignmentMessage, loss: Double = 0.5) -> ResultMessage {
        ResultMessage(iteration: a.iteration, parameterVersion: a.parameterVersion, tasks: a.taskIndices.map {
            .init(index: $0, loss: loss, metric: 0.1, metaGradient: [1], computeSeconds: 0.2)
        })
    }

    /// A worker that has built the job and is ready.
    func readyWorker() -> WorkerPeer {
        var w = WorkerPeer(hello: Fixtures.hello)
        _ = w.handle(.connected)
        _ = w.handle(.received(.job(job)))
        _ = w.handle(.jobBuilt(job.jobHash))
        return w
    }

    @Test func normalCycleSendsHelloReadyAndResults() {
        var w = WorkerPeer(hello: Fixtures.hello)
        #expect(w.state == .connecting)
        #expect(w.handle(.connected) == [.send(.hello(Fixtures.hello))])
        #expect(w.state == .helloSent)
        #expect(w.handle(.received(.job(job))) == [.buildJob(job)])
        #expect(w.state == .building(job.jobHash))
        #expect(w.handle(.jobBuilt(job.jobHash)) == [.send(.ready(ReadyMessage(jobHash: job.jobHash)))])
        #expect(w.state == .ready)

        #expect(w.handle(.received(.assignment(assignment))) == [.compute(assignment)])
        #expect(w.state == .working(assignment))
        #expect(w.heldParameterVersion == 2)
        #expect(w.handle(.heartbeatDue(now: 77)) == [.send(.heartbeat(HeartbeatMessage(sentAt: 77, iteration: 4)))])
        #expect(w.handle(.computed(result(for: assignment))) == [.send(.result(result(for: assignment)))])
        #expect(w.state == .ready)
        #expect(w.handle(.heartbeatDue(now: 78)) == [.send(.heartbeat(HeartbeatMessage(sentAt: 78)))])

        // The same parameter version again: the coordinator leaves the parameters out.
        let next = AssignmentMessage(iteration: 4, parameterVersion: 2, taskIndices: [5], parameters: [])
        #expect(w.handle(.received(.assignment(next))) == [.compute(next)])
        #expect(w.handle(.received(.heartbeat(HeartbeatMessage(sentAt: 1)))) == [])
        #expect(w.handle(.computed(result(for: next))) == [.send(.result(result(for: next)))])
        #expect(w.droppedMessages == 0)
    }

    @Test func rejectOrShutdownFromTheCoordinatorStopsTheWorker() {
        var w = readyWorker()
        let actions = w.handle(.received(.reject(RejectMessage(reason: .overloaded, text: "enough workers"))))
        #expect(actions.count == 1)
        guard case .stop(.rejected(let reason)) = actions.first else { Issue.record("expected stop"); return }
        #expect(reason.contains("enough workers") && reason.contains("overloaded"))
        #expect(w.isStopped)

        var s = readyWorker()
        _ = s.handle(.received(.assignment(assignment)))
        #expect(s.handle(.received(.shutdown(ShutdownMessage(reason: "done", finished: true))))
                == [.stop(.finished("the coordinator shut down: done"))])
        #expect(s.isStopped)
        var early = readyWorker()
        guard case .stop(.coordinatorStopped(let why))? = early.handle(.received(.shutdown(ShutdownMessage(reason: "signal")))).first else {
            Issue.record("a shutdown before training finished must not read as finished"); return
        }
        #expect(why.contains("signal"))
    }

    @Test func messagesAfterStopAreDroppedAndCounted() {
        var w = readyWorker()
        _ = w.handle(.received(.shutdown(ShutdownMessage(reason: "done"))))
        let stopped = w.state
        _ = w.handle(.received(.assignment(assignment)))
        #expect(w.handle(.received(.assignment(assignment))) == [])
        #expect(w.handle(.heartbeatDue(now: 1)) == [])
        #expect(w.handle(.connected) == [])
        #expect(w.state == stopped)
        #expect(w.droppedMessages == 2)
    }

    @Test func anAssignmentBeforeTheJobIsDroppedCountedAndLoggedOnce() {
        var w = WorkerPeer(hello: Fixtures.hello)
        _ = w.handle(.connected)
        let first = w.handle(.received(.assignment(assignment)))
        #expect(first.count == 1)
        guard case .log = first.first else { Issue.record("expected a log line"); return }
        #expect(w.handle(.received(.assignment(assignment))) == [])
        #expect(w.state == .helloSent)
        #expect(w.droppedMessages == 2)
        // Still able to proceed normally.
        #expect(w.handle(.received(.job(job))) == [.buildJob(job)])
    }

    @Test func outOfOrderMessagesLeaveTheStateUnchanged() {
        var w = readyWorker()
        _ = w.handle(.received(.assignment(assignment)))
        let working = w.state
        let unexpected: [Message] = [
            .assignment(assignment), .hello(Fixtures.hello), .ready(ReadyMessage(jobHash: job.jobHash)),
            .result(result(for: assignment)),
        ]
        for message in unexpected { _ = w.handle(.received(message)) }
        #expect(w.state == working)
        #expect(w.droppedMessages == unexpected.count)
        #expect(w.handle(.computed(result(for: assignment))) == [.send(.result(result(for: assignment)))])
    }

    @Test func aJobWhoseHashIsNotItsConfigurationsIsRejected() {
        var w = WorkerPeer(hello: Fixtures.hello)
        _ = w.handle(.connected)
        var bad = job
        bad.configurationYAML += "extra: 1\n"
        let actions = w.handle(.received(.job(bad)))
        guard case .send(.reject(let r)) = actions.first else { Issue.record("expected a reject"); return }
        #expect(r.reason == .jobMismatch)
        #expect(w.isStopped)
    }

    @Test func aJobThatCannotBeBuiltIsRejected() {
        var w = WorkerPeer(hello: Fixtures.hello)
        _ = w.handle(.connected)
        _ = w.handle(.received(.job(job)))
        let actions = w.handle(.jobFailed("omniglot data set not found"))
        guard case .send(.reject(let r)) = actions.first else { Issue.record("expected a reject"); return }
        #expect(r.reason == .jobMismatch && r.text.contains("omniglot"))
        #expect(actions.last == .stop(.jobFailed(r.text)))
        #expect(w.isStopped)
    }

    @Test func anAssignmentWithoutParametersForAnUnheldVersionIsRejected() {
        var w = readyWorker()
        let actions = w.handle(.received(.assignment(AssignmentMessage(iteration: 1, parameterVersion: 5, taskIndices: [0],
                                                                          parameters: []))))
        guard case .send(.reject(let r)) = actions.first else { Issue.record("expected a reject"); return }
        #expect(r.reason == .malformed)
        #expect(w.isStopped)
    }

    @Test func aNonFiniteResultIsSentForTheCoordinatorToReject() {
        var w = readyWorker()
        _ = w.handle(.received(.assignment(assignment)))
        let nan = result(for: assignment, loss: .nan)
        let actions = w.handle(.computed(nan))
        #expect(actions.last == .send(.result(nan)))
        #expect(actions.contains { if case .log(let line) = $0 { line.contains("non-finite") } else { false } })
        #expect(w.state == .ready)
    }

    @Test func aComputedResultForAnotherShardIsIgnored() {
        var w = readyWorker()
        _ = w.handle(.received(.assignment(assignment)))
        var other = result(for: assignment)
        other.tasks.removeLast()
        _ = w.handle(.computed(other))
        #expect(w.state == .working(assignment))
        #expect(w.droppedMessages == 0)
    }

    @Test func coordinatorTimeoutReconnectsAndSkipsRebuildingTheSameJob() {
        var w = readyWorker()
        _ = w.handle(.received(.assignment(assignment)))
        let actions = w.handle(.coordinatorTimeout)
        #expect(actions.last == .reconnect)
        #expect(w.state == .reconnecting)
        #expect(w.heldParameterVersion == nil)
        // The abandoned shard finishes late: not sent.
        #expect(!w.handle(.computed(result(for: assignment))).contains { if case .send = $0 { true } else { false } })
        #expect(w.handle(.connected) == [.send(.hello(Fixtures.hello))])
        #expect(w.handle(.received(.job(job))) == [.send(.ready(ReadyMessage(jobHash: job.jobHash)))])
        #expect(w.state == .ready)
    }

    @Test func aCoordinatorOfAnotherProtocolVersionStopsTheWorker() {
        var w = WorkerPeer(hello: Fixtures.hello)
        _ = w.handle(.connected)
        let actions = w.handle(.undecodable(WireError(.unsupportedVersion, "version 2", foundVersion: 2)))
        guard case .stop = actions.first else { Issue.record("expected stop"); return }
        #expect(w.isStopped)

        var d = WorkerPeer(hello: Fixtures.hello)
        _ = d.handle(.connected)
        _ = d.handle(.undecodable(WireError(.checksumMismatch, "crc")))
        #expect(d.state == .helloSent)
        #expect(d.droppedMessages == 1)
    }

    @Test func nothingButTheHelloIsSentUntilItIsAnswered() {
        var w = WorkerPeer(hello: Fixtures.hello)
        _ = w.handle(.connected)
        #expect(w.handle(.heartbeatDue(now: 1)) == [])
        _ = w.handle(.received(.job(job)))
        #expect(w.handle(.heartbeatDue(now: 2)) == [.send(.heartbeat(HeartbeatMessage(sentAt: 2)))])
    }

    @Test func anUnansweredHelloIsSaidAgainOnANewConnection() {
        var w = WorkerPeer(hello: Fixtures.hello)
        _ = w.handle(.connected)
        for _ in 0..<3 {
            #expect(w.handle(.helloUnanswered) == [.reconnect])
            #expect(w.state == .reconnecting)
            #expect(w.handle(.connected) == [.send(.hello(Fixtures.hello))])
            #expect(w.state == .helloSent)
        }
        #expect(w.handle(.received(.job(job))) == [.buildJob(job)])
        // Once answered, a late retry timer changes nothing.
        var r = readyWorker()
        #expect(!r.handle(.helloUnanswered).contains { if case .log = $0 { false } else { true } })
        #expect(r.state == .ready)
    }

    @Test func theJobAgainWhileWorkingStartsOverAndAbandonsTheShard() {
        var w = readyWorker()
        _ = w.handle(.received(.assignment(assignment)))
        let actions = w.handle(.received(.job(job)))
        #expect(actions.last == .send(.ready(ReadyMessage(jobHash: job.jobHash))))
        #expect(actions.contains { if case .log(let line) = $0 { line.contains("job again") } else { false } })
        #expect(w.state == .ready)
        #expect(w.heldParameterVersion == nil)
        #expect(w.droppedMessages == 0)
        // The abandoned shard finishes late: not sent.
        #expect(!w.handle(.computed(result(for: assignment))).contains { if case .send = $0 { true } else { false } })
        // The coordinator starts over with the parameters in full.
        #expect(w.handle(.received(.assignment(assignment))) == [.compute(assignment)])
        #expect(w.handle(.computed(result(for: assignment))) == [.send(.result(result(for: assignment)))])
    }

    @Test func theJobAgainWhileReadyAnswersReadyAndAnotherJobIsBuilt() {
        var w = readyWorker()
        #expect(w.handle(.received(.job(job))).last == .send(.ready(ReadyMessage(jobHash: job.jobHash))))
        #expect(w.state == .ready)

        let other = JobMessage(configurationYAML: Fixtures.yaml + "iterations: 5\n", maxMessageBytes: 1 << 20)
        #expect(w.handle(.received(.job(other))).last == .buildJob(other))
        #expect(w.state == .building(other.jobHash))
        // The same job again while it is being built: ready follows when it is built.
        #expect(!w.handle(.received(.job(other))).contains { if case .log = $0 { false } else { true } })
        #expect(w.handle(.jobBuilt(other.jobHash)) == [.send(.ready(ReadyMessage(jobHash: other.jobHash)))])
    }
}
