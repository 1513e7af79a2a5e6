import Testing
import MetaRuntime

@Suite struct LoopStallTests {
    @Test func aLoopThatWaitsAsPlannedIsNeverStalled() {
        var s = LoopStall(threshold: 1)
        #expect(s.stalled(now: 100, maxWait: 0.1) == 0)  // the first call only starts the clock
        var now = 100.0
        for _ in 0..<50 {
            now += 0.1 + 0.02  // the wait and a little work
            #expect(s.stalled(now: now, maxWait: 0.1) == 0)
        }
        // Work within the threshold beyond the wait is the loop's own.
        now += 0.1 + 0.9
        #expect(s.stalled(now: now, maxWait: 0.1) == 0)
    }

    @Test func aStopIsMeasuredBeyondThePlannedWait() {
        var s = LoopStall(threshold: 1)
        _ = s.stalled(now: 10, maxWait: 0.05)
        // Stopped for 30 s in the middle of a 0.05 s wait.
        #expect(abs(s.stalled(now: 40.05, maxWait: 0.05) - 30) < 1e-9)
        // Measured once: the next pass is on time again.
        #expect(s.stalled(now: 40.1, maxWait: 0.05) == 0)
    }
}
