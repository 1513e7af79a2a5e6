import Testing
import Foundation
import MetaTensor
import MetaNN
import MetaOptim
import MetaAlgorithms
import MetaConfig
import MetaCheckpoint
import MetaChecksum
import MetaTestKit

/// Thousands of random and mutated configurations, checkpoints and safetensors files: each
/// parses or throws an error of one line. A trap kills the test process, which is the failure.
/// Every generator is seeded, so a failure replays.
@Suite struct InputFuzzTests {
    /// Values that break sizes and conversions: extremes of every width, signs, fractions, non-numbers.
    static let hostileNumbers = [
        "0", "-1", "1", "2", "7", "-0", "255", "256", "65535", "65536", "4294967295", "4294967296", "2147483648",
        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "18446744073709551615",
        "99999999999999999999999999", "4000000000000", "1e9", "1e300", "-1e300", "0.5", "-0.5", "1.0", ".nan", ".inf",
        "-.inf", "0x10", "0o17", "1_000", "true", "null", "~", "''", "[]", "{}", "[1, 2]", "abc",
    ]

    static func oneLine(_ error: Error) -> Bool { !"\(error)".contains("\n") && !"\(error)".isEmpty }

    // MARK: - Configurations

    /// One mutation of a preset's YAML.
    static func mutatedYAML(_ g: inout SplitMix64) -> String {
        let presets = RunConfiguration.presets.keys.sorted()
        let text = ConfigFile.yaml(RunConfiguration.presets[presets[g.below(presets.count)]]!)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for _ in 0..<(1 + g.below(3)) {
            let i = g.below(lines.count)
            switch g.below(8) {
            case 0, 1, 2:  // replace a number (or any scalar after a colon) with a hostile value
                if let colon = lines[i].lastIndex(of: ":") {
                    lines[i] = String(lines[i][...colon]) + " " + hostileNumbers[g.below(hostileNumbers.count)]
                }
            case 3: lines.remove(at: i); if lines.isEmpty { lines = [""] }
            case 4: lines.insert(lines[i], at: i)                                  // duplicate key
            case 5: lines[i] = String(lines[i].prefix(g.below(lines[i].count + 1)))  // cut a line
            case 6:                                                                // a key at another depth
                lines[i] = (lines[i].hasPrefix("  ") ? String(lines[i].dropFirst(2)) : "  " + lines[i])
            default:                                                               // a flow value of the wrong type
                if let colon = lines[i].lastIndex(of: ":") {
                    lines[i] = String(lines[i][...colon]) + [" {a: 1}", " [x, 1]", " \"\"", " -", " |\n  text"][g.below(5)]
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// A random document over the configuration's vocabulary.
    static func randomYAML(_ g: inout SplitMix64) -> String {
        let keys = ["preset", "name", "algorithm", "seed", "iterations", "meta_batch", "tasks", "evaluation_tasks", "model", "inner",
                    "outer", "validation", "evaluation", "family", "ways", "shots", "queries", "size", "data", "hidden", "architecture",
                    "steps", "evaluation_steps", "learning_rate", "first_order", "batch_norm", "optimizer", "interval", "tasks"]
        let words = ["sine-maml", "omniglot-5w1s-protonet", "maml", "protonet", "sinusoid", "omniglot", "synthetic-images",
                     "sine-mlp", "omniglot-cnn", "protonet-encoder", "adam", "sgd", "batch-statistics"] + hostileNumbers
        func value(_ depth: Int) -> String {
            switch g.below(depth > 1 ? 2 : 4) {
            case 0, 1: return words[g.below(words.count)]
            case 2: return "[" + (0..<g.below(4)).map { _ in hostileNumbers[g.below(hostileNumbers.count)] }.joined(separator: ", ") + "]"
            default: return "{" + (0..<g.below(4)).map { _ in "\(keys[g.below(keys.count)]): \(value(depth + 1))" }.joined(separator: ", ") + "}"
            }
        }
        return (0..<(1 + g.below(8))).map { _ in "\(keys[g.below(keys.count)]): \(value(0))" }.joined(separator: "\n")
    }

    @Test func mutatedAndRandomConfigurationsParseOrThrowOneLine() throws {
        var g = SplitMix64(seed: 7_001)
        var parsed = 0, rejected = 0
        for round in 0..<4_000 {
            let text = round % 4 == 3 ? Self.randomYAML(&g) : Self.mutatedYAML(&g)
            do {
                let c = try ConfigFile.parse(text)
                parsed += 1
                // What parses must be usable: it writes back to the same configuration, and its
                // model can be described (the sizes were bounded by the ranges).
                let back = try ConfigFile.parse(ConfigFile.yaml(c))
                #expect(back == c, "round \(round): \(text) gives \(c), written and read back \(back)")
                _ = c.model
            } catch let error as ConfigError {
                rejected += 1
                #expect(Self.oneLine(error), "round \(round): \(error)")
            }
        }
        // The mutations must exercise both outcomes, or the test checks little.
        #expect(parsed > 100 && rejected > 1_000, "parsed \(parsed), rejected \(rejected)")
    }

    // MARK: - Checkpoints

    /// A real version 2 checkpoint of a sine MLP with Adam state after two updates.
    static let checkpoint: [UInt8] = {
        let config = RunConfiguration.presets["sine-maml"]!
        let adam = Adam<Float>(learningRate: 0.001)
        var p = config.algorithm.initialParameters(model: config.model, seed: 1, as: Float.self)
        var s = adam.initialState(for: p)
        for _ in 0..<2 { (p, s) = adam.update(p, gradients: p, state: s) }
        return RunCheckpoint(iteration: 2, configuration: config, parameters: p, optimizer: .adam(s), metricsJSON: "[]").encoded()
    }()

    /// A real SGD checkpoint (tiny parameters: its configuration does not have to fit them to decode).
    static let sgdCheckpoint: [UInt8] = {
        let sgd = SGD<Float>(learningRate: 1)
        let p = Parameters([("w", Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])), ("b", Tensor<Float>(shape: [0, 7], scalars: []))])
        let (q, s) = sgd.update(p, gradients: p, state: sgd.initialState(for: p))
        return RunCheckpoint(iteration: 1, configuration: RunConfiguration.presets["omniglot-5w1s-reptile"]!, parameters: q,
                             optimizer: .sgd(s)).encoded()
    }()

    /// Offsets and widths of the integer fields of a parameter encoding starting at `start`.
    static func parameterCodingFields(_ b: [UInt8], at start: Int) -> [(offset: Int, width: Int)] {
        func int(_ o: Int, _ w: Int) -> Int { (0..<w).reduce(0) { $0 | Int(b[o + $1]) << (8 * $1) } }
        var fields = [(start + 4, 2), (start + 6, 1), (start + 8, 4)]
        var o = start + 12
        for _ in 0..<int(start + 8, 4) {
            fields.append((o, 2)); o += 2 + int(o, 2)
            let rank = Int(b[o]); fields.append((o, 1)); o += 1
            var n = 1
            for _ in 0..<rank { fields.append((o, 4)); n *= int(o, 4); o += 4 }
            o += 4 * n
        }
        return fields
    }

    /// Every integer field of a version 2 checkpoint: header lengths and both parameter encodings'.
    static func checkpointFields(_ b: [UInt8]) -> [(offset: Int, width: Int)] {
        func int(_ o: Int, _ w: Int) -> Int { (0..<w).reduce(0) { $0 | Int(b[o + $1]) << (8 * $1) } }
        var fields = [(4, 2), (6, 8), (14, 4)]
        var o = 18 + int(14, 4)
        fields += [(o, 1), (o + 1, 8), (o + 9, 8)]
        let state = o + 17, stateLength = int(o + 9, 8)
        fields += parameterCodingFields(b, at: state)
        o = state + stateLength
        fields.append((o, 4)); o += 4 + int(o, 4)
        fields.append((o, 8))
        fields += parameterCodingFields(b, at: o + 8)
        return fields
    }

    static let extremes: [UInt64] = [0, 1, 2, 3, 4, 0x7F, 0x80, 0xFF, 0xFFFF, 0x8000_0000, 0xFFFF_FFFF, 1 << 32, 1 << 48,
                                     UInt64(Int.max), UInt64(Int.max) + 1, UInt64.max, 100_000_001]

    static func mutatedCheckpoint(_ g: inout SplitMix64, base: [UInt8], fields: [(offset: Int, width: Int)]) -> [UInt8] {
        var b = Array(base.dropLast(32))
        switch g.below(5) {
        case 0, 1:  // set an integer field to an extreme (or a neighbour of its value)
            for _ in 0..<(1 + g.below(2)) {
                let (o, w) = fields[g.below(fields.count)]
                let old = (0..<w).reduce(UInt64(0)) { $0 | UInt64(b[o + $1]) << (8 * UInt64($1)) }
                let v = g.below(3) == 0 ? old &+ UInt64(bitPattern: Int64(g.below(5) - 2)) : extremes[g.below(extremes.count)]
                for k in 0..<w { b[o + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
            }
        case 2: for _ in 0..<(1 + g.below(4)) { b[g.below(b.count)] ^= UInt8(1 << g.below(8)) }  // flip bits
        case 3: b = Array(b.prefix(g.below(b.count)))                                             // truncate
        default: b.insert(contentsOf: g.bytes(1 + g.below(16)), at: g.below(b.count + 1))         // insert bytes
        }
        // Usually resealed, so that the damage reaches the parsing behind the checksum.
        return g.below(8) == 0 ? b + g.bytes(32) : b + SHA256.digest(b)
    }

    @Test func mutatedCheckpointsDecodeOrThrowOneLine() {
        var g = SplitMix64(seed: 7_002)
        let bases = [(Self.checkpoint, Self.checkpointFields(Self.checkpoint)), (Self.sgdCheckpoint, Self.checkpointFields(Self.sgdCheckpoint))]
        var decoded = 0, rejected = 0
        for round in 0..<3_000 {
            let (base, fields) = bases[round % 2]
            let bytes = round % 50 == 49 ? g.bytes(g.below(200)) : Self.mutatedCheckpoint(&g, base: base, fields: fields)
            do {
                let c = try RunCheckpoint.decode(bytes, name: "fuzz.ckpt")
                decoded += 1
                // What decodes must be usable as far as the commands go: configuration, fit, resume.
                #expect(c.iteration >= 0 && c.iteration <= RunCheckpoint.maximumIteration)
                if let config = try? c.configuration() { try? c.checkParametersFit(config) }
                if let state = try? c.trainerState() { #expect(state.iteration == c.iteration) }
                _ = c.encoded()
            } catch {
                rejected += 1
                #expect(error is CheckpointError, "round \(round): \(type(of: error))")
                #expect(Self.oneLine(error), "round \(round): \(error)")
            }
        }
        #expect(decoded > 10 && rejected > 1_000, "decoded \(decoded), rejected \(rejected)")
    }

    @Test func anAdamStepOfIntMaxIsRejectedWithOneLine() throws {
        let bytes = Self.checkpointWithAdamStep(UInt64(Int.max))
        #expect(throws: CheckpointError.self) { try RunCheckpoint.decode(bytes, name: "max.ckpt") }
        do { _ = try RunCheckpoint.decode(bytes, name: "max.ckpt") } catch {
            #expect("\(error)" == "checkpoint max.ckpt is damaged: optimizer step count 9223372036854775807 out of range (at most 100000000)")
        }
        // The same file with a plausible step (equal in header and tensor) decodes.
        #expect(try RunCheckpoint.decode(Self.checkpointWithAdamStep(5), name: "ok.ckpt").optimizerStep == 5)
    }

    /// ``checkpoint`` with its Adam step count set to `step`, in the header and in `adam.step`, resealed.
    static func checkpointWithAdamStep(_ step: UInt64) -> [UInt8] {
        var b = Array(checkpoint.dropLast(32))
        let fields = checkpointFields(checkpoint)
        // The header's step (fields[4]), and the four limbs of `adam.step`, the first tensor of the state section.
        let header = fields[4].offset
        for k in 0..<8 { b[header + k] = UInt8(truncatingIfNeeded: step >> (8 * UInt64(k))) }
        let stateStart = header + 16
        let nameLength = Int(b[stateStart + 12]) | Int(b[stateStart + 13]) << 8
        let limbs = stateStart + 14 + nameLength + 1 + 4
        for i in 0..<4 {
            let limb = Float((step >> (16 * UInt64(i))) & 0xFFFF)
            withUnsafeBytes(of: limb.bitPattern.littleEndian) { for k in 0..<4 { b[limbs + 4 * i + k] = $0[k] } }
        }
        return b + SHA256.digest(b)
    }

    // MARK: - Safetensors

    static let safetensors: [UInt8] = {
        let p = Parameters([("dense1.weight", Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])),
                            ("dense1.bias", Tensor<Float>(shape: [3], scalars: [7, 8, 9])),
                            ("empty", Tensor<Float>(shape: [0, 4], scalars: []))])
        return SafeTensors.encode(p, metadata: ["metatrain.iteration": "3"])
    }()

    static let hostileJSONNumbers = ["-1", "0", "1", "3", "6", "24", "4294967296", "9223372036854775807", "-9223372036854775808",
                                     "9223372036854775808", "18446744073709551616", "1e30", "0.5", "true", "null", "\"2\"", "[]", "{}"]

    static func mutatedSafeTensors(_ g: inout SplitMix64) -> [UInt8] {
        var b = safetensors
        let headerLength = Int(b[0]) | Int(b[1]) << 8
        switch g.below(6) {
        case 0, 1, 2:  // rewrite numbers in the JSON header (shapes, offsets), then fix the length field
            var header = String(decoding: b[8..<(8 + headerLength)], as: UTF8.self)
            let numbers = header.ranges(of: /-?\d+/)
            for _ in 0..<(1 + g.below(3)) where !numbers.isEmpty {
                let r = numbers[g.below(numbers.count)]
                guard r.upperBound <= header.endIndex else { continue }
                header.replaceSubrange(r, with: hostileJSONNumbers[g.below(hostileJSONNumbers.count)])
                break
            }
            if g.below(4) == 0 { header = header.replacingOccurrences(of: "F32", with: ["F64", "I64", "BF16", "", "f32"][g.below(5)]) }
            let json = Array(header.utf8)
            var out: [UInt8] = []
            withUnsafeBytes(of: UInt64(json.count).littleEndian) { out += $0 }
            return out + json + b[(8 + headerLength)...]
        case 3:  // the length field
            let v = extremes[g.below(extremes.count)] &+ UInt64(g.below(3))
            for k in 0..<8 { b[k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
            return b
        case 4: return Array(b.prefix(g.below(b.count)))
        default: for _ in 0..<(1 + g.below(4)) { b[g.below(b.count)] ^= UInt8(1 << g.below(8)) }; return b
        }
    }

    /// A random header of plausible structure with hostile shapes and offsets.
    static func randomSafeTensors(_ g: inout SplitMix64) -> [UInt8] {
        func number() -> String { g.below(2) == 0 ? "\(g.below(40))" : hostileJSONNumbers[g.below(hostileJSONNumbers.count)] }
        let tensors = (0..<g.below(4)).map { i in
            "\"t\(i)\": {\"dtype\": \"F32\", \"shape\": [\((0..<g.below(5)).map { _ in number() }.joined(separator: ", "))], "
                + "\"data_offsets\": [\(number()), \(number())]}"
        }
        let json = Array(("{" + tensors.joined(separator: ", ") + "}").utf8)
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out += $0 }
        return out + json + g.bytes(g.below(64))
    }

    @Test func mutatedAndRandomSafeTensorsDecodeOrThrowOneLine() {
        var g = SplitMix64(seed: 7_003)
        var decoded = 0, rejected = 0
        for round in 0..<4_000 {
            let bytes = round % 3 == 2 ? Self.randomSafeTensors(&g) : Self.mutatedSafeTensors(&g)
            do {
                let (p, _) = try SafeTensors.decode(bytes, name: "fuzz.safetensors")
                decoded += 1
                #expect(p.scalarCount * 4 <= bytes.count)
                _ = SafeTensors.encode(p, metadata: [:])
            } catch {
                rejected += 1
                #expect(error is SafeTensorsError, "round \(round): \(type(of: error))")
                #expect(Self.oneLine(error), "round \(round): \(error)")
            }
        }
        #expect(decoded > 10 && rejected > 1_000, "decoded \(decoded), rejected \(rejected)")
    }

    @Test func anEmptyTensorWithHugeOtherDimensionsIsRejected() {
        let json = Array(#"{"t": {"dtype": "F32", "shape": [0, 4611686018427387904, 4611686018427387904], "data_offsets": [0, 0]}}"#.utf8)
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes += $0 }
        bytes += json
        #expect(throws: SafeTensorsError.self) { try SafeTensors.decode(bytes, name: "empty.safetensors") }
    }
}
