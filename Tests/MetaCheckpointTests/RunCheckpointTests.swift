import Testing
import MetaTestKit
import Foundation
import MetaTensor
import MetaNN
import MetaOptim
import MetaAlgorithms
import MetaConfig
import MetaCheckpoint
import MetaChecksum

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

    /// A checkpoint whose stored configuration names a data folder (`tasks.data`, a key of
    /// earlier builds) reads back without it; a configuration file with that key is still refused.
    @Test func aStoredDataFolderIsLeftOutWhenTheConfigurationIsReadBack() throws {
        let config = RunConfiguration.presets["omniglot-5w1s-maml"]!
        var checkpoint = RunCheckpoint(iteration: 1, configuration: config,
                                       parameters: config.model.initialParameters(seed: 1, as: Float.self))
        let yaml = checkpoint.configurationYAML
        #expect(yaml.contains("\n  family: omniglot\n"))
        checkpoint.configurationYAML = yaml.replacingOccurrences(of: "\n  family: omniglot\n",
                                                                 with: "\n  family: omniglot\n  data: \"/old/folder\"\n")
        #expect(checkpoint.configurationYAML != yaml)
        #expect(try checkpoint.configuration() == config)
        #expect(throws: (any Error).self) { try ConfigFile.parse(checkpoint.configurationYAML) }
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

    // MARK: - Format version 2

    /// Two small tensors: a checkpoint of about a kilobyte, cheap to truncate at every length.
    static func smallParameters() -> Parameters<Tensor<Float>> {
        Parameters([("layer.weight", Tensor<Float>(shape: [2, 3], scalars: [0.5, -1.25, 2, 3.5, -0.125, 7])),
                    ("layer.bias", Tensor<Float>(shape: [3], scalars: [0.1, 0.2, -0.3]))])
    }

    static func gradient(like p: Parameters<Tensor<Float>>, step: Int) -> Parameters<Tensor<Float>> {
        p.map { t in Tensor<Float>(shape: t.shape, scalars: (0..<t.count).map { Float(($0 * 7 + step * 3) % 11) / 10 - 0.5 }) }
    }

    /// Parameters and Adam state after `steps` updates (non-trivial moments, step count `steps`).
    static func adamState(steps: Int) -> (Parameters<Tensor<Float>>, Adam<Float>.State) {
        let adam = Adam<Float>(learningRate: 0.01)
        var p = smallParameters(), s = adam.initialState(for: p)
        for k in 1...steps { (p, s) = adam.update(p, gradients: gradient(like: p, step: k), state: s) }
        return (p, s)
    }

    static func smallV2(iteration: Int = 3) -> RunCheckpoint {
        let (p, s) = adamState(steps: iteration)
        return RunCheckpoint(iteration: iteration, configuration: RunConfiguration.presets["sine-maml"]!, parameters: p,
                             optimizer: .adam(s), metricsJSON: #"{"meta_loss":[0.5,0.25]}"#)
    }

    /// The version 1 layout, written by hand from its documentation.
    static func versionOneBytes(iteration: UInt64, yaml: String, parameters: Parameters<Tensor<Float>>) -> [UInt8] {
        func le<I: FixedWidthInteger>(_ v: I) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        let params = ParameterCoding.encode(parameters)
        var out = Array("MTCK".utf8) + le(UInt16(1)) + le(iteration)
        out += le(UInt32(yaml.utf8.count)) + Array(yaml.utf8) + le(UInt64(params.count)) + params
        return out + SHA256.digest(out)
    }

    /// Replaces the SHA-256 trailer so that damage in the body reaches the structural checks.
    static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        let body = Array(bytes.dropLast(32))
        return body + SHA256.digest(body)
    }

    @Test func versionTwoRoundTripKeepsAdamStateBitIdentical() throws {
        let c = Self.smallV2()
        let back = try RunCheckpoint.decode(c.encoded(), name: "a.ckpt")
        #expect(back.formatVersion == 2)
        #expect(back.source == "a.ckpt")
        #expect(back.iteration == 3)
        #expect(back.metricsJSON == c.metricsJSON)
        #expect(back.configurationYAML == c.configurationYAML)
        #expect(ParameterCoding.encode(back.parameters) == ParameterCoding.encode(c.parameters))
        guard case let .adam(original)? = c.optimizer, case let .adam(restored)? = back.optimizer else {
            Issue.record("the Adam state did not survive: \(String(describing: back.optimizer))"); return
        }
        let adam = Adam<Float>(learningRate: 0.01)
        #expect(ParameterCoding.encode(adam.stateTensors(restored)) == ParameterCoding.encode(adam.stateTensors(original)))
        #expect(restored.step == 3 && back.optimizerStep == 3 && back.optimizerKind == "adam")
        #expect(back.encoded() == c.encoded())

        // Resuming continues bit-identically.
        let state = try back.trainerState()
        #expect(state.iteration == 3)
        let g = Self.gradient(like: c.parameters, step: 4)
        let continued = adam.update(c.parameters, gradients: g, state: original)
        let resumed = adam.update(state.parameters, gradients: g, state: restored)
        #expect(ParameterCoding.encode(continued.parameters) == ParameterCoding.encode(resumed.parameters))
        #expect(ParameterCoding.encode(adam.stateTensors(continued.state)) == ParameterCoding.encode(adam.stateTensors(resumed.state)))
    }

    @Test func versionTwoRoundTripKeepsSGDStateAndResumesUnderAnSGDConfiguration() throws {
        let config = RunConfiguration.presets["omniglot-5w1s-reptile"]!
        let sgd = SGD<Float>(learningRate: 1)
        var p = Self.smallParameters(), s = sgd.initialState(for: p)
        for k in 1...5 { (p, s) = sgd.update(p, gradients: Self.gradient(like: p, step: k), state: s) }
        let c = RunCheckpoint(iteration: 5, configuration: config, parameters: p, optimizer: .sgd(s))
        let back = try RunCheckpoint.decode(c.encoded(), name: "s.ckpt")
        #expect(back.optimizer == .sgd(s))
        #expect(back.optimizerKind == "sgd" && back.optimizerStep == 5)
        #expect(back.metricsJSON.isEmpty)
        let state = try back.trainerState()
        #expect(state.optimizer == .sgd(s) && state.parameters == p && state.iteration == 5)
    }

    @Test func sgdMomentumStateRoundTripsButCannotResumeAMomentumFreeConfiguration() throws {
        let sgd = SGD<Float>(learningRate: 0.1, momentum: 0.9)
        var p = Self.smallParameters(), s = sgd.initialState(for: p)
        for k in 1...2 { (p, s) = sgd.update(p, gradients: Self.gradient(like: p, step: k), state: s) }
        let c = RunCheckpoint(iteration: 2, configuration: RunConfiguration.presets["omniglot-5w1s-reptile"]!, parameters: p,
                              optimizer: .sgd(s))
        let back = try RunCheckpoint.decode(c.encoded(), name: "m.ckpt")
        #expect(back.optimizer == .sgd(s))
        #expect(throws: CheckpointError.self) { try back.trainerState() }
    }

    @Test func trainerStateRejectsAnotherOptimizersStateNamingTheFile() throws {
        let sgd = SGD<Float>(learningRate: 1)
        let p = Self.smallParameters()
        let c = RunCheckpoint(iteration: 0, configuration: RunConfiguration.presets["sine-maml"]!, parameters: p,
                              optimizer: .sgd(sgd.initialState(for: p)))
        let back = try RunCheckpoint.decode(c.encoded(), name: "runs/x/iteration-0.ckpt")
        do {
            _ = try back.trainerState()
            Issue.record("an SGD state was accepted for an Adam configuration")
        } catch let error as CheckpointError {
            #expect(error.description.contains("runs/x/iteration-0.ckpt"))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func versionOneFilesStillDecodeButRefuseToResume() throws {
        let config = RunConfiguration.presets["sine-maml"]!
        let p = Self.smallParameters()
        let bytes = Self.versionOneBytes(iteration: 42, yaml: ConfigFile.yaml(config), parameters: p)
        let c = try RunCheckpoint.decode(bytes, name: "runs/old/final.ckpt")
        #expect(c.formatVersion == 1)
        #expect(c.iteration == 42)
        #expect(c.parameters == p)
        #expect(try c.configuration() == config)
        #expect(c.optimizer == nil && c.optimizerKind == nil && c.optimizerStep == nil)
        #expect(c.metricsJSON.isEmpty)
        do {
            _ = try c.trainerState()
            Issue.record("a version 1 checkpoint claimed to hold optimizer state")
        } catch let error as CheckpointError {
            #expect(error.description.contains("runs/old/final.ckpt"))
            #expect(error.description.contains("optimizer"))
            #expect(!error.description.contains("\n"))
        }
        // Re-encoding upgrades it to version 2 with the same content.
        let upgraded = try RunCheckpoint.decode(c.encoded(), name: "u")
        #expect(upgraded.formatVersion == 2 && upgraded.parameters == p && upgraded.optimizer == nil)
    }

    @Test func everyTruncationOfASmallVersionTwoCheckpointIsRejected() {
        let bytes = Self.smallV2().encoded()
        for length in 0..<bytes.count {
            #expect(throws: CheckpointError.self, "length \(length)") { try RunCheckpoint.decode(Array(bytes[0..<length]), name: "t") }
        }
    }

    @Test func truncationIsReportedAsTruncation() {
        let bytes = Self.smallV2().encoded()
        // Cut inside the parameters (every length readable) and inside the configuration (a lower bound).
        for kept in [bytes.count - 40, bytes.count / 2] {
            do {
                _ = try RunCheckpoint.decode(Array(bytes[0..<kept]), name: "cut.ckpt")
                Issue.record("accepted a checkpoint truncated to \(kept) bytes")
            } catch {
                #expect("\(error)".contains("cut.ckpt"))
                #expect("\(error)".contains("truncated"), "\(error)")
            }
        }
    }

    @Test func randomByteFlipsAreRejected() {
        let bytes = Self.smallV2().encoded()
        var rng = SplitMix64(seed: 11)
        for _ in 0..<500 {
            var damaged = bytes
            let position = Int(rng.next() % UInt64(bytes.count))
            damaged[position] ^= UInt8(truncatingIfNeeded: rng.next() % 255 + 1)
            #expect(throws: CheckpointError.self, "flip at \(position)") { try RunCheckpoint.decode(damaged, name: "t") }
        }
    }

    /// Damage behind a valid checksum reaches every structural check: it must throw
    /// ``CheckpointError`` or decode, never trap or allocate what a length claims.
    @Test func damageBehindAValidChecksumNeverCrashes() {
        let bytes = Self.smallV2().encoded()
        var rng = SplitMix64(seed: 5)
        var rejected = 0
        for trial in 0..<2_000 {
            var damaged = bytes
            for _ in 0..<(1 + trial % 3) {
                let position = Int(rng.next() % UInt64(bytes.count - 32))
                damaged[position] = UInt8(truncatingIfNeeded: rng.next())
            }
            do { _ = try RunCheckpoint.decode(Self.resealed(damaged), name: "t") } catch is CheckpointError { rejected += 1 } catch {
                Issue.record("unexpected error type: \(error)")
            }
        }
        #expect(rejected > 0)
    }

    @Test func hugeLengthsBehindAValidChecksumAreRejected() {
        let c = Self.smallV2()
        let bytes = c.encoded()
        let yamlLength = c.configurationYAML.utf8.count
        let optimizerLengthOffset = 4 + 2 + 8 + 4 + yamlLength + 1 + 8
        // (offset, width): the configuration length, optimizer step, optimizer length, metrics length, parameter length.
        let stateLength = Int(bytes[optimizerLengthOffset]) | Int(bytes[optimizerLengthOffset + 1]) << 8
            | Int(bytes[optimizerLengthOffset + 2]) << 16
        let metricsLengthOffset = optimizerLengthOffset + 8 + stateLength
        let parameterLengthOffset = metricsLengthOffset + 4 + c.metricsJSON.utf8.count
        for (offset, width) in [(14, 4), (optimizerLengthOffset - 8, 8), (optimizerLengthOffset, 8), (metricsLengthOffset, 4),
                                (parameterLengthOffset, 8)] {
            for fill: UInt8 in [0xFF, 0x7F] {
                var damaged = bytes
                for i in 0..<width { damaged[offset + i] = fill }
                #expect(throws: CheckpointError.self, "offset \(offset)") { try RunCheckpoint.decode(Self.resealed(damaged), name: "t") }
            }
        }
        var hugeIteration = bytes
        for i in 6..<14 { hugeIteration[i] = 0xFF }
        #expect(throws: CheckpointError.self) { try RunCheckpoint.decode(Self.resealed(hugeIteration), name: "t") }
        var unknownKind = bytes
        unknownKind[4 + 2 + 8 + 4 + yamlLength] = 9
        #expect(throws: CheckpointError.self) { try RunCheckpoint.decode(Self.resealed(unknownKind), name: "t") }
        var futureVersion = bytes
        futureVersion[4] = 3
        #expect(throws: CheckpointError.self) { try RunCheckpoint.decode(Self.resealed(futureVersion), name: "t") }
    }

    @Test func hashesIdentifyTheConfigurationAndTheParameters() throws {
        let c = Self.smallV2()
        #expect(c.configurationSHA256 == SHA256.hexDigest(Array(c.configurationYAML.utf8)))
        #expect(c.parametersSHA256 == SHA256.hexDigest(ParameterCoding.encode(c.parameters)))
        #expect(c.parametersSHA256.count == 64)
        let back = try RunCheckpoint.decode(c.encoded(), name: "h")
        #expect(back.parametersSHA256 == c.parametersSHA256 && back.configurationSHA256 == c.configurationSHA256)
        var changed = c
        changed.parameters = changed.parameters.map { $0 + Float(1e-6) }
        #expect(changed.parametersSHA256 != c.parametersSHA256)
    }

    @Test func encodingIsDeterministic() {
        #expect(Self.smallV2().encoded() == Self.smallV2().encoded())
    }
}

