import Testing
import MetaTestKit
import MetaRuntime

/// Decoding arbitrary bytes never traps: it throws, or yields a message whose encoding is
/// exactly the bytes decoded (decoding is strict, so there is one frame per message).
@Suite struct WireCodecFuzzTests {
    /// Decodes `frame`; returns whether it decoded, and records an issue if a decoded frame
    /// does not re-encode to itself.
    static func check(_ frame: [UInt8], _ failures: inout Int) -> Bool {
        guard let message = try? WireCodec.decode(frame, maxBytes: 1 << 20) else { return false }
        if WireCodec.encode(message) != frame { failures += 1 }
        return true
    }

    static func mutate(_ frame: [UInt8], using rng: inout SplitMix64) -> [UInt8] {
        var f = frame
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            switch Int.random(in: 0..<6, using: &rng) {
            case 0, 1:  // flip bits of one byte
                f[Int.random(in: 0..<f.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            case 2:  // overwrite a byte with an interesting value
                f[Int.random(in: 0..<f.count, using: &rng)] = [0, 1, 2, 0x7F, 0x80, 0xFF].randomElement(using: &rng)!
            case 3:  // insert a byte
                f.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...f.count, using: &rng))
            case 4:  // delete a byte
                if f.count > 1 { f.remove(at: Int.random(in: 0..<f.count, using: &rng)) }
            default:  // overwrite four bytes (a length field, perhaps)
                let at = Int.random(in: 0..<f.count, using: &rng)
                for i in at..<min(at + 4, f.count) { f[i] = UInt8.random(in: 0...255, using: &rng) }
            }
        }
        return f
    }

    @Test func mutatedFramesThrowOrReencodeExactly() {
        var rng = SplitMix64(seed: 42)
        let frames = Fixtures.messages.map(WireCodec.encode)
        var failures = 0
        for _ in 0..<10_000 {
            _ = Self.check(Self.mutate(frames.randomElement(using: &rng)!, using: &rng), &failures)
        }
        #expect(failures == 0)
    }

    @Test func mutatedFramesWithARecomputedChecksumThrowOrReencodeExactly() {
        // Resealing the CRC lets the mutations reach the body parser.
        var rng = SplitMix64(seed: 7)
        let frames = Fixtures.messages.map(WireCodec.encode)
        var failures = 0, decoded = 0
        for _ in 0..<20_000 {
            let frame = Fixtures.resealed(Self.mutate(frames.randomElement(using: &rng)!, using: &rng))
            if Self.check(frame, &failures) { decoded += 1 }
        }
        #expect(failures == 0)
        #expect(decoded > 1_000, "the mutations should often keep a frame valid: \(decoded)")
    }

    @Test func randomFramesThrowOrReencodeExactly() {
        var rng = SplitMix64(seed: 2024)
        var failures = 0, decoded = 0
        for i in 0..<20_000 {
            let length = Int.random(in: 0...48, using: &rng)
            // Mostly small byte values, so random counts and lengths are often plausible.
            let body = (0..<length).map { _ in
                Bool.random(using: &rng) ? UInt8.random(in: 0...3, using: &rng) : UInt8.random(in: 0...255, using: &rng)
            }
            let frame: [UInt8]
            if i % 4 == 0 {
                frame = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                frame = Fixtures.frame(type: UInt8.random(in: 0...9, using: &rng), body: body)
            }
            if Self.check(frame, &failures) { decoded += 1 }
        }
        #expect(failures == 0)
        #expect(decoded > 20, "random bodies should sometimes be valid: \(decoded)")
    }
}
