import MetaRuntime
import MetaTestKit

/// Messages and frames shared by the tests.
enum Fixtures {
    static let yaml = "algorithm: maml\nseed: 1\nmeta_batch: 25\n"
    static let job = JobMessage(configurationYAML: yaml, maxMessageBytes: 1 << 20)
    static let hello = HelloMessage(buildID: "b1", workerName: "worker-1", threads: 1)
    static let limit = 1 << 24

    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    static func outcome(_ index: UInt32, gradient: [UInt8] = [1, 2, 3]) -> ResultMessage.TaskOutcome {
        .init(index: index, loss: 0.25 + Double(index), metric: 0.5, metaGradient: gradient, computeSeconds: 0.01)
    }

    /// One or more messages of every kind, with edge cases.
    static let messages: [Message] = [
        .hello(HelloMessage(buildID: "b1", workerName: "w", threads: 2)),
        .hello(HelloMessage(protocolVersion: 7, buildID: "", workerName: "", threads: 0)),
        .hello(HelloMessage(protocolVersion: .max, buildID: "e\u{301}-build", workerName: "wörker-東京-🚀", threads: .max)),
        .job(job),
        .job(JobMessage(jobHash: JobHash(bytes: [UInt8](repeating: 0xAB, count: 32))!, configurationYAML: "", maxMessageBytes: 0)),
        .job(JobMessage(configurationYAML: "name: \"Ωmniglot ✓\"\n", maxMessageBytes: .max)),
        .ready(ReadyMessage(jobHash: job.jobHash)),
        .assignment(AssignmentMessage(iteration: 0, parameterVersion: 0, taskIndices: [], parameters: [])),
        .assignment(AssignmentMessage(iteration: 12, parameterVersion: 3, taskIndices: [0, 1, 2, .max], parameters: bytes(40, seed: 1))),
        .assignment(AssignmentMessage(iteration: .max, parameterVersion: .max, taskIndices: [7], parameters: [])),
        .assignment(AssignmentMessage(iteration: 4, parameterVersion: 4, round: 3, work: 1, payload: [0, -0.0, 1.5, -.greatestFiniteMagnitude],
                                      taskIndices: [4, 5, 6, 7], parameters: [])),
        .assignment(AssignmentMessage(iteration: 9, parameterVersion: 9, round: .max, work: .max, payload: [.leastNonzeroMagnitude],
                                      taskIndices: [0], parameters: bytes(9, seed: 4))),
        .result(ResultMessage(iteration: 0, parameterVersion: 0, tasks: [])),
        .result(ResultMessage(iteration: 12, parameterVersion: 3, tasks: [
            .init(index: 0, loss: 0, metric: -0.0, metaGradient: [], computeSeconds: 0),
            .init(index: .max, loss: -.greatestFiniteMagnitude, metric: .leastNonzeroMagnitude, metaGradient: bytes(17, seed: 2),
                  computeSeconds: 1e9),
        ])),
        .result(ResultMessage(iteration: 4, parameterVersion: 4, round: 3, tasks: [
            .init(index: 4, loss: 1, metric: 2, metaGradient: [], computeSeconds: 0.5, scalars: [-3.25, 0]),
            .init(index: 5, loss: 1, metric: 2, metaGradient: bytes(5, seed: 5), computeSeconds: 0, scalars: []),
            .init(index: 6, loss: 1, metric: 2, metaGradient: [], computeSeconds: 0, scalars: [.greatestFiniteMagnitude]),
        ])),
        .heartbeat(HeartbeatMessage(sentAt: 0)),
        .heartbeat(HeartbeatMessage(sentAt: .max, iteration: 0)),
        .heartbeat(HeartbeatMessage(sentAt: 123_456_789, iteration: .max)),
        .reject(RejectMessage(reason: .protocolVersion, text: "")),
        .reject(RejectMessage(reason: .jobMismatch, text: "job hash differs")),
        .reject(RejectMessage(reason: .notAuthorized, text: "nein ✋")),
        .reject(RejectMessage(reason: .malformed, text: "x")),
        .reject(RejectMessage(reason: .overloaded, text: "too many workers")),
        .shutdown(ShutdownMessage(reason: "")),
        .shutdown(ShutdownMessage(reason: "training finished after 70000 iterations")),
    ]

    /// `frame` with its CRC-32 recomputed, so that decoding gets past the checksum.
    static func resealed(_ frame: [UInt8]) -> [UInt8] {
        guard frame.count >= 4 else { return frame }
        var f = frame
        let crc = CRC32.checksum(Array(f[0..<(f.count - 4)]))
        for i in 0..<4 { f[f.count - 4 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        return f
    }

    /// A frame with a valid header and checksum around `body`.
    static func frame(type: UInt8, body: [UInt8], version: UInt16 = WireCodec.protocolVersion, flags: UInt8 = 0,
                      bodyLength: UInt32? = nil) -> [UInt8] {
        var f = WireCodec.magic
        f += [UInt8(version & 0xFF), UInt8(version >> 8), type, flags]
        let n = bodyLength ?? UInt32(body.count)
        f += (0..<4).map { UInt8(truncatingIfNeeded: n >> (8 * UInt32($0))) }
        f += body
        f += [0, 0, 0, 0]
        return resealed(f)
    }

    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
    static func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }

    /// The kind of error decoding `bytes` throws, or nil when it decodes.
    static func errorKind(_ bytes: [UInt8], maxBytes: Int = limit) -> WireError.Kind? {
        do {
            _ = try WireCodec.decode(bytes, maxBytes: maxBytes)
            return nil
        } catch {
            return error.kind
        }
    }
}
