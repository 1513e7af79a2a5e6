import Testing
import MetaCluster

@Suite struct PeerLogTests {
    @Test func atMostOneLinePerPeerPerIntervalAndSuppressedLinesAreCounted() {
        final class Sink: @unchecked Sendable { var lines: [String] = [] }
        let sink = Sink()
        var log = PeerLog(interval: 60) { sink.lines.append($0) }
        let printed = [log.log("a", peer: "p", now: 0), log.log("b", peer: "p", now: 10), log.log("c", peer: "p", now: 59),
                       log.log("x", peer: "q", now: 59), log.log("d", peer: "p", now: 61)]
        #expect(printed == [true, false, false, true, true])
        #expect(sink.lines == ["a", "x", "d (2 similar line(s) about this peer suppressed)"])
    }
}
