import Foundation
import Testing
import MetaRuntime
import MetaCluster

/// How a worker's session ended, as the process exit status scripts and restart policies read.
@Suite struct WorkerOutcomeExitStatusTests {
    @Test func eachEndingHasItsOwnStatus() {
        #expect(Worker.Outcome.session(.finished("done")).exitStatus(signal: nil) == 0)
        #expect(Worker.Outcome.session(.rejected("version")).exitStatus(signal: nil) == 3)
        #expect(Worker.Outcome.session(.jobFailed("no data")).exitStatus(signal: nil) == 4)
        #expect(Worker.Outcome.gaveUp("silence").exitStatus(signal: nil) == 5)
        #expect(Worker.Outcome.session(.coordinatorStopped("bye")).exitStatus(signal: nil) == 6)
    }

    @Test func aStopIsTheSignalsConventionalStatus() {
        #expect(Worker.Outcome.stopped.exitStatus(signal: SIGTERM) == 143)
        #expect(Worker.Outcome.stopped.exitStatus(signal: SIGINT) == 130)
        #expect(Worker.Outcome.stopped.exitStatus(signal: nil) == 130)
    }

    @Test func theSignalOnlyMattersForAStop() {
        #expect(Worker.Outcome.session(.finished("done")).exitStatus(signal: SIGTERM) == 0)
        #expect(Worker.Outcome.gaveUp("silence").exitStatus(signal: SIGINT) == 5)
    }
}
