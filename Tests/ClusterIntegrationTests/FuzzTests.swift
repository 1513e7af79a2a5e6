import Foundation
import Testing
import MetaRuntime
import MetaTransport
import CZeroMQ
import MetaTestKit
import MetaTensor
import MetaNN

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

/// Peers that complete the handshake and then misbehave: results that must be refused
/// (non-finite gradients of the right layout, gradients of another layout, other tasks than
/// assigned, other iterations), messages of many parts, oversized parts and floods of
/// heartbeats, while two honest workers train.
@Suite(.serialized) struct HandshakeFuzzTests {
    /// A detectably invalid answer to `a`.
    static func badResult(_ a: AssignmentMessage, parameters: Parameters<Tensor<Float>>?, _ g: inout SplitMix64) -> Message {
        let kind = g.below(5)
        let tasks = a.taskIndices.enumerated().map { k, index -> ResultMessage.TaskOutcome in
            var gradient: [UInt8] = []
            if index % 4 == 0 {
                switch kind {
                case 0:  // the right layout, non-finite values
                    if let p = parameters {
                        gradient = ParameterCoding.encode(p.map { t in Tensor<Float>(repeating: k % 2 == 0 ? .nan : .infinity, shape: t.shape) })
                    }
                case 1:  // another layout
                    gradient = ParameterCoding.encode(Parameters([("w", Tensor<Float>(shape: [3], scalars: [1, 2, 3]))]))
                default:  // bytes that do not decode
                    gradient = g.bytes(1 + g.below(64))
                }
            }
            return ResultMessage.TaskOutcome(index: kind == 2 ? index &+ 1000 : index, loss: 1, metric: 0.5,
                                             metaGradient: gradient, computeSeconds: 0.01)
        }
        let iteration = kind == 3 ? a.iteration &+ 7 : a.iteration
        return .result(ResultMessage(iteration: iteration, parameterVersion: a.parameterVersion, tasks: tasks))
    }

    @Test func hostileResultsMultipartMessagesAndFloodsFromJoinedPeersChangeNothing() throws {
        let job = ["--preset", "sine-maml", "--iterations", "600", "--eval-tasks", "4"]
        let reference = try Cluster.reference(job)
        let dir = Cluster.temporaryDirectory("handshake-fuzz")
        defer { try? FileManager.default.removeItem(at: dir) }
        let c = try Cluster.Child(["coordinator"] + job + ["--bind", "tcp://127.0.0.1:*", "--run-dir", dir.path, "--min-workers", "3",
                                                           "--allow-mixed-builds", "--shard-deadline-floor", "1"]
                                  + Cluster.fastHeartbeat, directory: dir, label: "coordinator")
        let endpoint = try #require(Cluster.endpoint(in: dir))
        var hostile = try WireClient(endpoint)
        #expect(try hostile.join(name: "fuzz") != nil)
        let workers = try (1...2).map {
            try Cluster.Child(["worker", "--connect", endpoint, "--name", "w\($0)"] + Cluster.fastHeartbeat, directory: dir, label: "w\($0)")
        }
        var g = SplitMix64(seed: 77)
        var answered = 0, rejoined = 0, sent = 0
        let stop = Date().addingTimeInterval(240)
        while c.process.isRunning && Date() < stop {
            switch hostile.receive(seconds: 0.05) {
            case .assignment(let a)?:
                let parameters = a.parameters.isEmpty ? nil : try? ParameterCoding.decode(a.parameters, as: Float.self)
                try hostile.send(Self.badResult(a, parameters: parameters, &g))
                answered += 1
            case .reject?, .shutdown?:
                // Refused: come back on a new connection and keep trying.
                hostile = try WireClient(endpoint)
                _ = try hostile.join(name: "fuzz-\(rejoined)")
                rejoined += 1
            default:
                break
            }
            switch g.below(4) {
            case 0:  // a message of many small parts
                _ = try? hostile.socket.send((0..<(100 + g.below(400))).map { _ in g.bytes(g.below(16)) }, dontWait: true)
            case 1:  // a flood of heartbeats
                for _ in 0..<200 { _ = try? hostile.socket.send(WireCodec.parts(of: WireCodec.encode(.heartbeat(HeartbeatMessage(sentAt: 1)))), dontWait: true) }
            case 2:  // a valid result frame cut into parts and one part damaged
                var parts = WireCodec.parts(of: WireCodec.encode(Self.badResult(
                    AssignmentMessage(iteration: 0, parameterVersion: 0, taskIndices: [0, 1, 2, 3], parameters: []), parameters: nil, &g)))
                parts[0][g.below(parts[0].count)] ^= 0x10
                _ = try? hostile.socket.send(parts + [g.bytes(8)], dontWait: true)
            default:
                break
            }
            sent += 1
        }
        #expect(c.wait(seconds: 10) == 0, "\(c.log)")
        for w in workers { #expect(w.wait(seconds: 10) == 0, "\(w.log)") }
        #expect(answered >= 1, "the hostile peer never got a shard")
        #expect(sent >= 30, "only \(sent) rounds of garbage before training ended")
        #expect(try Cluster.finalParameters(dir) == reference)
    }
}
