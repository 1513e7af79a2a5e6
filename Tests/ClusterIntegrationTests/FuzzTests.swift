import Foundation
import Testing
import MetaRuntime
import MetaTransport
import CZeroMQ
import MetaTestKit

/// Throws garbage at a live coordinator while it trains with two real workers.
@Suite(.serialized) struct CoordinatorFuzzTests {
    /// Valid frames of every message type, to mutate.
    static let seeds: [[UInt8]] = {
        let hash = JobHash(configurationYAML: "x")
        let messages: [Message] = [
            .hello(HelloMessage(buildID: "fuzz", workerName: "fuzz", threads: 1)),
            .ready(ReadyMessage(jobHash: hash)),
            .result(ResultMessage(iteration: 3, parameterVersion: 3, tasks: [
                ResultMessage.TaskOutcome(index: 0, loss: 1, metric: 1, metaGradient: [1, 2, 3, 4], computeSeconds: 0.1)])),
            .heartbeat(HeartbeatMessage(sentAt: 1, iteration: 2)),
            .reject(RejectMessage(reason: .malformed, text: "fuzz")),
            .assignment(AssignmentMessage(iteration: 1, parameterVersion: 1, taskIndices: [0, 1], parameters: [9, 9])),
            .job(JobMessage(configurationYAML: "x", maxMessageBytes: 10)),
        ]
        return messages.map(WireCodec.encode)
    }()

    static func frame(_ g: inout SplitMix64) -> [[UInt8]] {
        let seed = seeds[g.below(seeds.count)]
        switch g.below(7) {
        case 0: return [g.bytes(g.below(256))]                                   // random bytes
        case 1: return [Array(seed.prefix(g.below(seed.count)))]                   // truncated
        case 2:                                                                    // flipped bytes
            var f = seed
            for _ in 0..<(1 + g.below(4)) { f[g.below(f.count)] ^= UInt8(1 << g.below(8)) }
            return [f]
        case 3:                                                                    // wrong length field
            var f = seed
            f[8 + g.below(4)] = UInt8(truncatingIfNeeded: g.next())
            return [f]
        case 4: return [seed, g.bytes(g.below(64))]                                 // extra frames
        case 5: return [seed + g.bytes(1 + g.below(32))]                            // trailing bytes
        default: return [seed]                                                     // valid but out of order
        }
    }

    @Test func tenThousandMalformedFramesNeitherCrashTheCoordinatorNorChangeTheResult() throws {
        let job = ["--preset", "sine-maml", "--iterations", "300", "--eval-tasks", "4"]
        let reference = try Cluster.reference(job)
        let dir = Cluster.temporaryDirectory("fuzz")
        defer { try? FileManager.default.removeItem(at: dir) }
        let c = try Cluster.Child(["coordinator"] + job + ["--bind", "tcp://127.0.0.1:*", "--run-dir", dir.path, "--min-workers", "2"]
                                  + Cluster.fastHeartbeat, directory: dir, label: "coordinator")
        let endpoint = try #require(Cluster.endpoint(in: dir))
        let workers = try (1...2).map {
            try Cluster.Child(["worker", "--connect", endpoint, "--name", "w\($0)"] + Cluster.fastHeartbeat, directory: dir, label: "w\($0)")
        }
        let context = ZMQContext()
        var g = SplitMix64(seed: 2026)
        var sent = 0
        var sockets: [ZMQSocket] = []
        for round in 0..<20 {
            let s = try ZMQSocket(context: context, kind: .dealer)
            try s.set(ZMQ_SNDHWM, 100_000)
            try s.connect(endpoint)
            sockets.append(s)
            for _ in 0..<500 {
                if try s.send(Self.frame(&g), dontWait: false) { sent += 1 }
                _ = try? s.receive()
            }
            if round % 5 == 4 {  // one oversized frame per few rounds: the coordinator drops that connection
                _ = try? s.send([[UInt8](repeating: 0x4D, count: 64 << 20)], dontWait: true)
            }
        }
        #expect(sent >= 10_000)
        #expect(c.wait(seconds: 300) == 0, "\(c.log)")
        for w in workers { w.wait(seconds: 10) }
        #expect(c.log.contains("undecodable frames") && !c.log.contains("undecodable frames 0,"), "\(c.log)")
        #expect(try Cluster.finalParameters(dir) == reference)
    }
}
