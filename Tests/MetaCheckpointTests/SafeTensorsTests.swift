import Foundation
import Testing
import MetaTensor
import MetaNN
import MetaCheckpoint
import MetaTestKit

/// The safetensors codec: bit-identical round trips, the exact layout of the specification,
/// and no crash on damaged or hostile files.
@Suite struct SafeTensorsTests {
    /// Odd shapes (a rank-0 scalar, `[1]`, an empty tensor, rank 4), names out of alphabetical
    /// order, and values whose bits are easy to lose (NaN payload, −0, subnormal, ±∞).
    static func sample() -> Parameters<Tensor<Float>> {
        var g = SplitMix64(seed: 7)
        func random(_ shape: [Int]) -> Tensor<Float> {
            Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: g.next()) & 0xBFFF_FFFF) })
        }
        let specials: [Float] = [Float(bitPattern: 0x7FC0_1234), -0.0, Float(bitPattern: 1), .infinity, -.greatestFiniteMagnitude,
                                 1, 0.1, -3.5, .ulpOfOne, 65_504]
        return Parameters([
            ("z.weight", random([3, 5])),
            ("conv1.weight", random([2, 3, 1, 4])),
            ("a.bias", Tensor(shape: [1], scalars: [Float(bitPattern: 0x7FC0_0001)])),
            ("m.scale", Tensor(Float(-0.0))),
            ("empty", Tensor(zeros: [0, 3])),
            ("specials", Tensor(shape: [2, 5], scalars: specials)),
            ("b", random([7])),
        ])
    }

    /// Names, shapes and the bit patterns of every value, in order.
    static func bits(_ p: Parameters<Tensor<Float>>) -> [String] {
        zip(p.names, p.values).map { "\($0) \($1.shape) \($1.scalars.map(\.bitPattern))" }
    }

    /// A file with `header` as its JSON (unpadded) followed by `data`.
    static func file(header: String, data: [UInt8] = []) -> [UInt8] {
        let json = Array(header.utf8)
        return withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json + data
    }

    @Test func roundTripIsBitIdenticalAndKeepsTheParametersOrder() throws {
        let p = Self.sample()
        let bytes = SafeTensors.encode(p, metadata: ["metatrain.iteration": "12", "note": "a, b"])
        let back = try SafeTensors.decode(bytes, name: "t.safetensors")
        #expect(back.parameters.names == ["z.weight", "conv1.weight", "a.bias", "m.scale", "empty", "specials", "b"])
        #expect(Self.bits(back.parameters) == Self.bits(p))
        #expect(back.metadata == ["metatrain.iteration": "12", "note": "a, b",
                                  "metatrain.parameter_order": "z.weight,conv1.weight,a.bias,m.scale,empty,specials,b"])
        // Deterministic: the same parameters give the same bytes.
        #expect(SafeTensors.encode(p, metadata: ["metatrain.iteration": "12", "note": "a, b"]) == bytes)
    }

    @Test func headerLayoutMatchesTheSpecification() throws {
        let p = Self.sample()
        let bytes = SafeTensors.encode(p, metadata: ["metatrain.iteration": "3"])
        var n = 0
        for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
        #expect((8 + n) % 8 == 0, "the data should start 8-byte aligned")
        let headerBytes = Array(bytes[8..<(8 + n)])
        #expect(headerBytes.first == UInt8(ascii: "{"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any])
        #expect(Set(json.keys) == Set(p.names + ["__metadata__"]))
        let metadata = try #require(json["__metadata__"] as? [String: String])
        #expect(metadata == ["metatrain.iteration": "3", "metatrain.parameter_order": p.names.joined(separator: ",")])

        var offset = 0
        for (name, tensor) in zip(p.names, p.values) {
            let entry = try #require(json[name] as? [String: Any], "\(name)")
            #expect(Set(entry.keys) == ["dtype", "shape", "data_offsets"])
            #expect(entry["dtype"] as? String == "F32")
            #expect(entry["shape"] as? [Int] == tensor.shape, "\(name)")
            let size = tensor.count * 4
            #expect(entry["data_offsets"] as? [Int] == [offset, offset + size], "tensors are contiguous in the parameters' order")
            // The bytes at those offsets are the values, little-endian.
            let data = Array(bytes[(8 + n + offset)..<(8 + n + offset + size)])
            let values = (0..<tensor.count).map { i in
                (0..<4).reduce(UInt32(0)) { $0 | UInt32(data[4 * i + $1]) << (8 * UInt32($1)) }
            }
            #expect(values == tensor.scalars.map(\.bitPattern), "\(name)")
            offset += size
        }
        #expect(bytes.count == 8 + n + offset, "the data ends with the last tensor")
    }

    @Test func withoutParameterOrderTheDataOrderIsUsed() throws {
        // As `safetensors.numpy.save_file` writes: no metatrain metadata; key order in the JSON is irrelevant.
        let data = (0..<3).flatMap { withUnsafeBytes(of: Float($0 + 1).bitPattern.littleEndian, Array.init) }
        let header = #"{"z":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let back = try SafeTensors.decode(Self.file(header: header + "  ", data: data), name: "n.safetensors")
        #expect(back.parameters.names == ["z", "a"])
        #expect(back.parameters["a"].scalars == [2, 3])
        #expect(back.metadata.isEmpty)
    }

    @Test func everyTruncationIsRejectedAndRandomByteFlipsNeverCrash() {
        let small = Parameters([("w", Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])), ("b", Tensor<Float>(shape: [1], scalars: [7]))])
        let bytes = SafeTensors.encode(small, metadata: ["metatrain.iteration": "1"])
        for length in 0..<bytes.count {
            #expect(throws: SafeTensorsError.self, "length \(length)") { try SafeTensors.decode(Array(bytes[0..<length]), name: "t") }
        }
        var g = SplitMix64(seed: 2026)
        var accepted = 0
        for trial in 0..<5_000 {
            var damaged = bytes
            for _ in 0..<(1 + g.below(3)) { damaged[g.below(damaged.count)] = UInt8(truncatingIfNeeded: g.next()) }
            do {
                let decoded = try SafeTensors.decode(damaged, name: "t")
                // What decodes must be self-consistent: sizes add up to the data after the header.
                var n = 0
                for i in 0..<8 { n |= Int(damaged[i]) << (8 * i) }
                #expect(decoded.parameters.scalarCount * 4 == damaged.count - 8 - n, "trial \(trial)")
                accepted += 1
            } catch let error as SafeTensorsError {
                #expect(!error.description.contains("\n"), "trial \(trial): \(error)")
            } catch {
                Issue.record("trial \(trial): not a SafeTensorsError: \(error)")
            }
        }
        #expect(accepted > 0, "flips in the data section should decode")
    }

    @Test(arguments: ["F16", "BF16"])
    func halfPrecisionDtypesAreRejectedNamingTheDtype(_ dtype: String) {
        let bytes = Self.file(header: #"{"w":{"dtype":"\#(dtype)","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 60, 0, 60])
        #expect {
            try SafeTensors.decode(bytes, name: "half.safetensors")
        } throws: { error in
            let text = "\(error)"
            return error is SafeTensorsError && text.contains(dtype) && text.contains("half.safetensors") && text.contains("F32")
        }
    }

    @Test func hostileHeadersAreRejectedWithOneLineErrorsNamingTheFile() {
        let four = [UInt8](repeating: 0, count: 4)
        let twelve = [UInt8](repeating: 0, count: 12)
        func tensor(_ name: String, shape: String, _ begin: Int, _ end: Int) -> String {
            #""\#(name)":{"dtype":"F32","shape":\#(shape),"data_offsets":[\#(begin),\#(end)]}"#
        }
        let eight = [UInt8](repeating: 0, count: 8)
        let cases: [(label: String, reason: String, bytes: [UInt8])] = [
            ("header length beyond the file", "exceeds the", withUnsafeBytes(of: UInt64.max, Array.init) + Array("{}".utf8)),
            ("header length 2^40", "exceeds the", withUnsafeBytes(of: UInt64(1 << 40).littleEndian, Array.init) + Array("{}".utf8)),
            ("not JSON", "not valid JSON", Self.file(header: "{abc")),
            ("a JSON array", "not a JSON object", Self.file(header: "[1]")),
            ("invalid UTF-8", "not valid UTF-8", Self.file(header: "{\"\u{FF}\":1}").map { $0 == 0xC3 ? 0xFF : $0 }),
            ("deep nesting", "not valid JSON",
             Self.file(header: "{\"a\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}")),
            ("negative dimension", "not a non-negative integer", Self.file(header: "{\(tensor("w", shape: "[-1]", 0, 4))}", data: four)),
            ("fractional dimension", "not a non-negative integer", Self.file(header: "{\(tensor("w", shape: "[1.0]", 0, 4))}", data: four)),
            ("boolean dimension", "not a non-negative integer", Self.file(header: "{\(tensor("w", shape: "[true]", 0, 4))}", data: four)),
            ("huge dimension", "not a non-negative integer",
             Self.file(header: "{\(tensor("w", shape: "[18446744073709551615]", 0, 4))}", data: four)),
            ("size overflow", "overflows",
             Self.file(header: "{\(tensor("w", shape: "[4611686018427387904, 4611686018427387904]", 0, 4))}", data: four)),
            ("bytes overflow", "but 4 data bytes", Self.file(header: "{\(tensor("w", shape: "[4611686018427387904]", 0, 4))}", data: four)),
            ("shape and size disagree", "but 4 data bytes", Self.file(header: "{\(tensor("w", shape: "[2]", 0, 4))}", data: four)),
            ("end beyond the data", "outside the 4 data bytes", Self.file(header: "{\(tensor("w", shape: "[100]", 0, 400))}", data: four)),
            ("begin after end", "outside the 12 data bytes", Self.file(header: "{\(tensor("w", shape: "[1]", 8, 4))}", data: twelve)),
            ("overlap", "overlaps", Self.file(header: "{\(tensor("a", shape: "[2]", 0, 8)),\(tensor("b", shape: "[2]", 4, 12))}", data: twelve)),
            ("gap", "4 data bytes before tensor 'b'",
             Self.file(header: "{\(tensor("a", shape: "[1]", 0, 4)),\(tensor("b", shape: "[1]", 8, 12))}", data: twelve)),
            ("uncovered tail", "8 data bytes at the end", Self.file(header: "{\(tensor("a", shape: "[1]", 0, 4))}", data: twelve)),
            ("no dtype", "no dtype", Self.file(header: #"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, data: four)),
            ("integer dtype", "dtype I32", Self.file(header: #"{"w":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#, data: four)),
            ("one offset", "data_offsets", Self.file(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4]}}"#, data: four)),
            ("tensor not an object", "not described by an object", Self.file(header: #"{"w":[1,2]}"#)),
            ("empty name", "empty name", Self.file(header: "{\(tensor("", shape: "[1]", 0, 4))}", data: four)),
            ("metadata not strings", "'k' is not a string", Self.file(header: #"{"__metadata__":{"k":1}}"#)),
            ("metadata not an object", "__metadata__ is not an object", Self.file(header: #"{"__metadata__":"x"}"#)),
            ("order misses a tensor", "parameter_order", Self.file(header: #"{"__metadata__":{"metatrain.parameter_order":"a"},"#
                                                + "\(tensor("a", shape: "[1]", 0, 4)),\(tensor("b", shape: "[1]", 4, 8))}", data: eight)),
            ("order repeats a tensor", "parameter_order", Self.file(header: #"{"__metadata__":{"metatrain.parameter_order":"a,a"},"#
                                                 + "\(tensor("a", shape: "[1]", 0, 4)),\(tensor("b", shape: "[1]", 4, 8))}", data: eight)),
        ]
        for (label, reason, bytes) in cases {
            do {
                let decoded = try SafeTensors.decode(bytes, name: "hostile.safetensors")
                Issue.record("\(label): accepted, \(decoded.parameters.names)")
            } catch let error as SafeTensorsError {
                #expect(error.description.hasPrefix("safetensors file hostile.safetensors: "), "\(label): \(error)")
                #expect(error.description.contains(reason), "\(label): \(error)")
                #expect(!error.description.contains("\n"), "\(label): \(error)")
            } catch {
                Issue.record("\(label): not a SafeTensorsError: \(error)")
            }
        }
    }
}
