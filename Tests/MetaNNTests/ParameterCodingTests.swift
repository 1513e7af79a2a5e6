import Testing
import MetaTensor
import MetaRandom
import MetaNN

/// A set with awkward values: rank 0, an empty tensor, rank 4, signed zero, infinities,
/// NaN with a payload, subnormals and a non-ASCII name.
func awkwardSet<S: TensorScalar>(_: S.Type) -> Parameters<Tensor<S>> {
    Parameters([
        ("block1.conv.weight", Tensor(shape: [2, 1, 2, 2], scalars: [1, -2, 0.5, 3, 0.25, -0.125, 7, 8])),
        ("scalar", Tensor(shape: [], scalars: [-0.0])),
        ("empty", Tensor(shape: [3, 0], scalars: [])),
        ("specials.μ", Tensor(shape: [5], scalars: [.infinity, -.infinity, nanWithPayload(S.self),
                                                   S.leastNonzeroMagnitude, -S.greatestFiniteMagnitude])),
    ])
}

/// A quiet NaN whose payload is 5.
func nanWithPayload<S: TensorScalar>(_: S.Type) -> S {
    S(sign: .plus, exponentBitPattern: (1 << S.RawExponent(S.exponentBitCount)) - 1,
      significandBitPattern: (1 << S.RawSignificand(S.significandBitCount - 1)) | 5)
}

/// The bit fields of every element (NaN-safe equality).
func bits<S: TensorScalar>(_ p: Parameters<Tensor<S>>) -> [[String]] {
    p.values.map { t in t.scalars.map { "\($0.sign) \($0.exponentBitPattern) \($0.significandBitPattern)" } }
}

@Suite struct ParameterCodingTests {
    @Test func roundTripIsBitExactInFloat() throws {
        let p = awkwardSet(Float.self)
        let decoded = try ParameterCoding.decode(ParameterCoding.encode(p), as: Float.self)
        #expect(decoded.names == p.names)
        #expect(decoded.values.map(\.shape) == p.values.map(\.shape))
        #expect(bits(decoded) == bits(p))
        #expect(decoded["scalar"].scalar.sign == .minus)
    }

    @Test func roundTripIsBitExactInDouble() throws {
        let p = awkwardSet(Double.self)
        let decoded = try ParameterCoding.decode(ParameterCoding.encode(p), as: Double.self)
        #expect(decoded.names == p.names)
        #expect(decoded.values.map(\.shape) == p.values.map(\.shape))
        #expect(bits(decoded) == bits(p))
    }

    @Test func roundTripOfARealModelIsExactAndReencodesToTheSameBytes() throws {
        let p = ConvNet.omniglot(ways: 5).initialParameters(seed: 3, as: Float.self)
        let bytes = ParameterCoding.encode(p)
        let decoded = try ParameterCoding.decode(bytes, as: Float.self)
        #expect(decoded == p)
        #expect(ParameterCoding.encode(decoded) == bytes)
    }

    @Test func emptySetRoundTrips() throws {
        let empty = Parameters<Tensor<Double>>([])
        let bytes = ParameterCoding.encode(empty)
        #expect(bytes == [0x4D, 0x54, 0x50, 0x53, 1, 0, 2, 0, 0, 0, 0, 0])
        #expect(try ParameterCoding.decode(bytes, as: Double.self).count == 0)
    }

    /// The format is a contract with checkpoints on disk and remote workers: pin it byte for byte.
    @Test func encodingOfATinySetIsPinned() {
        let p = Parameters([("a", Tensor<Float>(shape: [2], scalars: [1, -2])),
                            ("b.c", Tensor<Float>(shape: [], scalars: [0.5]))])
        let expected: [UInt8] = [
            0x4D, 0x54, 0x50, 0x53,   // "MTPS"
            0x01, 0x00,               // version 1
            0x01, 0x00,               // f32, reserved
            0x02, 0x00, 0x00, 0x00,   // 2 entries
            0x01, 0x00, 0x61,         // "a"
            0x01, 0x02, 0x00, 0x00, 0x00,   // rank 1, [2]
            0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0,   // 1.0, -2.0
            0x03, 0x00, 0x62, 0x2E, 0x63,   // "b.c"
            0x00,                           // rank 0
            0x00, 0x00, 0x00, 0x3F,         // 0.5
        ]
        #expect(ParameterCoding.encode(p) == expected)
        #expect(ParameterCoding.encode(p.map { $0.converted(to: Double.self) })[6] == 0x02)
    }

    // MARK: - Invalid input

    static let valid: [UInt8] = ParameterCoding.encode(awkwardSet(Float.self))

    @Test func everyTruncationThrows() {
        for length in 0..<Self.valid.count {
            #expect(throws: ParameterCodingError.self, "prefix of \(length) bytes") {
                try ParameterCoding.decode(Array(Self.valid.prefix(length)), as: Float.self)
            }
        }
    }

    @Test func badMagicThrows() {
        var bytes = Self.valid; bytes[0] = UInt8(ascii: "X")
        #expect(throws: ParameterCodingError.self) { try ParameterCoding.decode(bytes, as: Float.self) }
    }

    @Test func wrongVersionThrows() {
        var bytes = Self.valid; bytes[4] = 2
        #expect(throws: ParameterCodingError.self) { try ParameterCoding.decode(bytes, as: Float.self) }
        bytes[4] = 1; bytes[5] = 1
        #expect(throws: ParameterCodingError.self) { try ParameterCoding.decode(bytes, as: Float.self) }
    }

    @Test func wrongScalarTypeThrows() {
        #expect(throws: ParameterCodingError.self) { try ParameterCoding.decode(Self.valid, as: Double.self) }
        var bytes = Self.valid; bytes[6] = 3
        #expect(throws: ParameterCodingError.self) { try ParameterCoding.decode(bytes, as: Float.self) }
    }

    @Test func trailingBytesThrow() {
        #expect(throws: ParameterCodingError.self) { try ParameterCoding.decode(Self.valid + [0], as: Float.self) }
    }

    @Test func duplicateNamesThrow() {
        // Two entries "a" and "b", then rename the second to "a".
        var bytes = ParameterCoding.encode(Parameters([("a", Tensor<Float>(1)), ("b", Tensor<Float>(2))]))
        let second = bytes.lastIndex(of: UInt8(ascii: "b"))!
        bytes[second] = UInt8(ascii: "a")
        #expect(throws: ParameterCodingError.self) { try ParameterCoding.decode(bytes, as: Float.self) }
    }

    @Test func absurdDimensionsThrowWithoutAllocating() {
        // One entry "w" of rank 4, every dimension 2³² − 1, and no payload.
        var bytes: [UInt8] = [0x4D, 0x54, 0x50, 0x53, 1, 0, 1, 0, 1, 0, 0, 0, 1, 0, UInt8(ascii: "w"), 4]
        for _ in 0..<4 { bytes += [0xFF, 0xFF, 0xFF, 0xFF] }
        #expect(throws: ParameterCodingError.self) { try ParameterCoding.decode(bytes, as: Float.self) }
        // A single dimension larger than the input.
        let one: [UInt8] = [0x4D, 0x54, 0x50, 0x53, 1, 0, 1, 0, 1, 0, 0, 0, 1, 0, UInt8(ascii: "w"), 1, 0, 0, 0, 0x10]
        #expect(throws: ParameterCodingError.self) { try ParameterCoding.decode(one, as: Float.self) }
        // An absurd entry count.
        let many: [UInt8] = [0x4D, 0x54, 0x50, 0x53, 1, 0, 1, 0, 0xFF, 0xFF, 0xFF, 0xFF]
        #expect(throws: ParameterCodingError.self) { try ParameterCoding.decode(many, as: Float.self) }
    }

    @Test func emptyAndInvalidUTF8NamesThrow() {
        let emptyName: [UInt8] = [0x4D, 0x54, 0x50, 0x53, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x3F]
        #expect(throws: ParameterCodingError.self) { try ParameterCoding.decode(emptyName, as: Float.self) }
        let badUTF8: [UInt8] = [0x4D, 0x54, 0x50, 0x53, 1, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0xFF, 0, 0, 0, 0x80, 0x3F]
        #expect(throws: ParameterCodingError.self) { try ParameterCoding.decode(badUTF8, as: Float.self) }
        // The same bytes with a valid one-byte name decode.
        var good = badUTF8; good[14] = UInt8(ascii: "z")
        #expect((try? ParameterCoding.decode(good, as: Float.self))?["z"].scalar == 1)
    }

    /// 1,000 random single-byte mutations (fixed seed): each decodes to a valid set that
    /// re-encodes to the same bytes (up to the reserved byte), or throws; never a crash.
    @Test func randomSingleByteMutationsThrowOrDecodeConsistently() {
        var stream = RandomStream(seed: 77, purpose: .testing)
        var threw = 0, decoded = 0
        for _ in 0..<1000 {
            var bytes = Self.valid
            let at = stream.nextInt(below: bytes.count)
            bytes[at] = UInt8(truncatingIfNeeded: stream.nextInt(below: 255) + 1) &+ bytes[at]   // always a change
            do {
                let p = try ParameterCoding.decode(bytes, as: Float.self)
                var reencoded = ParameterCoding.encode(p)
                reencoded[7] = bytes[7]
                #expect(reencoded == bytes, "mutation at byte \(at)")
                decoded += 1
            } catch is ParameterCodingError {
                threw += 1
            } catch {
                Issue.record("unexpected error type \(error)")
            }
        }
        #expect(threw + decoded == 1000)
        #expect(threw > 0 && decoded > 0)   // both paths exercised (payload bytes decode, headers throw)
    }
}
