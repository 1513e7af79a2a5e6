import Testing
import Foundation
import MetaTensor
import MetaNN
import MetaAlgorithms
import MetaConfig

/// Checkpoints are verified on load; damage is reported by name and never loaded.
@Suite struct RunCheckpointTests {
    static func sample(iteration: Int = 7) -> RunCheckpoint {
        let config = RunConfiguration.presets["sine-maml"]!
        let p = SineMLP().initialParameters(seed: 3, as: Float.self)
        return RunCheckpoint(iteration: iteration, configuration: config, parameters: p)
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("metatrain-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func checkpointRoundTripsThroughAFile() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("a.ckpt")
        let c = Self.sample()
        try c.write(to: url)
        let back = try RunCheckpoint.read(from: url)
        #expect(back.iteration == 7)
        #expect(back.parameters == c.parameters)
        #expect(try back.configuration() == RunConfiguration.presets["sine-maml"]!)
        // no temporary file is left behind
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.ckpt"])
    }

    @Test func everyTruncationAndSampledBitFlipIsDetected() {
        let bytes = Self.sample().encoded()
        for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 300)) {
            #expect(throws: CheckpointError.self) { try RunCheckpoint.decode(Array(bytes[0..<length]), name: "t") }
        }
        for position in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 300)) {
            var damaged = bytes
            damaged[position] ^= 0x10
            #expect(throws: CheckpointError.self) { try RunCheckpoint.decode(damaged, name: "t") }
        }
    }

    @Test func errorNamesTheFile() throws {
        var bytes = Self.sample().encoded()
        bytes[bytes.count / 2] ^= 1
        do {
            _ = try RunCheckpoint.decode(bytes, name: "runs/x/final.ckpt")
            Issue.record("accepted a damaged checkpoint")
        } catch {
            #expect("\(error)".contains("runs/x/final.ckpt"))
            #expect("\(error)".contains("checksum"))
        }
    }

    @Test func newestSkipsADamagedCheckpointForThePreviousGoodOne() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.sample(iteration: 100).write(to: dir.appendingPathComponent("it100.ckpt"))
        try Self.sample(iteration: 200).write(to: dir.appendingPathComponent("it200.ckpt"))
        // Truncate the newest.
        let newest = dir.appendingPathComponent("it200.ckpt")
        let data = try Data(contentsOf: newest)
        try data.prefix(data.count - 10).write(to: newest)
        let found = try RunCheckpoint.newest(in: dir)
        #expect(found.checkpoint.iteration == 100)
        #expect(found.skipped.count == 1)
        #expect(found.skipped[0].contains("it200.ckpt"))
    }

    @Test func emptyDirectoryGivesAClearError() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: CheckpointError.self) { try RunCheckpoint.newest(in: dir) }
    }
}
