import Testing
import MetaRandom

/// Philox4x32-10 known-answer vectors from the Random123 distribution (`tests/kat_vectors`,
/// the three `philox4x32 10` lines: counter[4], key[2] → result[4]). Verified against an
/// independent implementation of Salmon et al. (SC 2011) written from the paper.
@Suite struct PhiloxTests {
    struct Vector: Sendable, CustomStringConvertible {
        let counter: (UInt32, UInt32, UInt32, UInt32)
        let key: (UInt32, UInt32)
        let expected: [UInt32]
        var description: String { "counter \(counter), key \(key)" }
    }

    static let vectors: [Vector] = [
        Vector(counter: (0, 0, 0, 0), key: (0, 0),
               expected: [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]),
        Vector(counter: (0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff), key: (0xffff_ffff, 0xffff_ffff),
               expected: [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]),
        Vector(counter: (0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344), key: (0xa409_3822, 0x299f_31d0),
               expected: [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]),
    ]

    @Test(arguments: vectors)
    func blockMatchesRandom123KnownAnswer(_ v: Vector) {
        let out = Philox.block(counter: v.counter, key: v.key)
        #expect([out.0, out.1, out.2, out.3] == v.expected)
    }

    @Test func blockIsAFunctionOfCounterAndKeyOnly() {
        let a = Philox.block(counter: (1, 2, 3, 4), key: (5, 6))
        let b = Philox.block(counter: (1, 2, 3, 4), key: (5, 6))
        #expect([a.0, a.1, a.2, a.3] == [b.0, b.1, b.2, b.3])
        let c = Philox.block(counter: (1, 2, 3, 5), key: (5, 6))
        let d = Philox.block(counter: (1, 2, 3, 4), key: (5, 7))
        #expect([a.0, a.1, a.2, a.3] != [c.0, c.1, c.2, c.3])
        #expect([a.0, a.1, a.2, a.3] != [d.0, d.1, d.2, d.3])
    }
}
