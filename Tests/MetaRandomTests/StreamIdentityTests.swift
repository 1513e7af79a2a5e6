import Testing
import MetaRandom

func words(_ stream: RandomStream, _ n: Int) -> [UInt32] {
    var s = stream
    return (0..<n).map { _ in s.next32() }
}

@Suite struct StreamIdentityTests {
    @Test func purposeIdentifierIsAPinnedFNV1aHash() {
        // FNV-1a 64 of the UTF-8 bytes; changing the hash would silently change every stream.
        #expect(RandomPurpose("x").rawValue == 0xaf63_f54c_8602_1707)
        #expect(RandomPurpose("initialization").rawValue == 0x4712_812a_2668_c419)
        #expect(RandomPurpose.testing.rawValue == 0xc2fe_2fb7_7ae8_39bb)
        #expect(RandomPurpose("").rawValue == 0xcbf2_9ce4_8422_2325)  // the offset basis
        #expect(RandomPurpose("x").description == "x")
    }

    @Test func streamWordsArePinned() {
        // Computed by an independent Python implementation of the documented layout:
        // key = SplitMix64(seed + purpose · 0x9E3779B97F4A7C15) split (low, high),
        // counter = (block, task, iteration low, iteration high).
        #expect(words(RandomStream(seed: 42, purpose: .testing), 8)
                == [0x6c0c_e553, 0x9454_a6c2, 0x5f98_0bb4, 0x08d6_2891, 0xfb06_73b0, 0x6393_ea2d, 0xf748_a486, 0x0fe2_2bec])
        #expect(words(RandomStream(seed: 7, iteration: 1234, task: 3, purpose: .taskSampling), 6)
                == [0x58e8_db31, 0x85dd_ec77, 0x8e98_2076, 0x18ca_c2e7, 0x278a_501b, 0x56c1_54f2])
        #expect(words(RandomStream(seed: 0, iteration: (1 << 32) + 5, task: .max, purpose: .initialization), 4)
                == [0x74ed_d45a, 0x6339_0858, 0xcd5d_fd1a, 0x5df6_a7bf])
    }

    @Test func next64IsHighWordThenLowWord() {
        var s = RandomStream(seed: 42, purpose: .testing)
        #expect(s.next() == 0x6c0c_e553_9454_a6c2)
    }

    @Test func sameKeyGivesSameSequence() {
        let key = StreamKey(seed: 99, iteration: 17, task: 4, purpose: .augmentation)
        #expect(words(RandomStream(key), 1000) == words(RandomStream(key), 1000))
        #expect(words(RandomStream(key), 1000)
                == words(RandomStream(seed: 99, iteration: 17, task: 4, purpose: .augmentation), 1000))
        var a = RandomStream(key), b = RandomStream(key)
        #expect((0..<100).map { _ in a.normal() } == (0..<100).map { _ in b.normal() })
    }

    static let base = StreamKey(seed: 5, iteration: 10, task: 2, purpose: .taskSampling)
    static let variants: [(String, StreamKey)] = {
        func with(_ change: (inout StreamKey) -> Void) -> StreamKey { var k = base; change(&k); return k }
        return [
            ("seed", with { $0.seed = 6 }),
            ("iteration", with { $0.iteration = 11 }),
            ("iteration high word", with { $0.iteration = 10 + (1 << 32) }),
            ("task", with { $0.task = 3 }),
            ("purpose", with { $0.purpose = .evaluation }),
            ("purpose by name", with { $0.purpose = RandomPurpose("task-sampling ") }),
        ]
    }()

    @Test(arguments: variants.map(\.0))
    func changingOneKeyComponentGivesAnUnrelatedStream(_ component: String) {
        let key = Self.variants.first { $0.0 == component }!.1
        #expect(key != Self.base)
        let baseWords = words(RandomStream(Self.base), 4096)
        let other = words(RandomStream(key), 4096)
        #expect(other[0] != baseWords[0])                  // no shared prefix
        #expect(zip(baseWords, other).filter { $0 == $1 }.count < 4)   // ~4096 / 2³² expected
        // Not a shifted copy either: the other stream's first 4 words occur nowhere in the base.
        let head = Array(other.prefix(4))
        #expect(!(0...(baseWords.count - 4)).contains { Array(baseWords[$0..<($0 + 4)]) == head })
    }

    @Test func neighbouringIterationsAndTasksDoNotOverlap() {
        // Streams of consecutive iterations/tasks occupy disjoint counter ranges: no 4-word
        // block of one appears in the other.
        func blocks(_ k: StreamKey) -> Set<[UInt32]> {
            let w = words(RandomStream(k), 4 * 256)
            return Set(stride(from: 0, to: w.count, by: 4).map { Array(w[$0..<($0 + 4)]) })
        }
        var all = Set<[UInt32]>()
        var total = 0
        for iteration in 0..<4 as Range<UInt64> {
            for task in 0..<4 as Range<UInt32> {
                let b = blocks(StreamKey(seed: 1, iteration: iteration, task: task, purpose: .taskSampling))
                all.formUnion(b); total += b.count
            }
        }
        #expect(all.count == total)
    }
}
