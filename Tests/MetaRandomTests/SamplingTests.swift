import Testing
import MetaTensor
import MetaRandom

@Suite struct SamplingTests {
    @Test func positionCountsWordsDrawn() {
        var s = RandomStream(seed: 3, purpose: .testing)
        #expect(s.position == 0)
        _ = s.next32(); #expect(s.position == 1)
        _ = s.next(); #expect(s.position == 3)
        _ = s.nextUnit(); #expect(s.position == 5)       // 64 bits
        _ = s.uniform(-1, 1); #expect(s.position == 7)
        _ = s.normal(); #expect(s.position == 11)        // two units
        for _ in 0..<9 { _ = s.next32() }
        #expect(s.position == 20)                        // across several blocks
        _ = s.nextInt(below: 8); #expect(s.position == 22)  // a power of two never rejects
    }

    @Test func positionIsIndependentOfHowWordsWereGrouped() {
        var a = RandomStream(seed: 3, purpose: .testing), b = a
        _ = a.next(); _ = a.next32()
        for _ in 0..<3 { _ = b.next32() }
        #expect(a.position == b.position)
        #expect(a.next32() == b.next32())
    }

    @Test(arguments: [1, 2, 3, 7, 10, 1000, 1 << 40, (1 << 62) + (1 << 61), Int.max])
    func nextIntStaysInRange(_ bound: Int) {
        var s = RandomStream(seed: UInt64(truncatingIfNeeded: bound), purpose: .testing)
        var belowHalf = 0
        for _ in 0..<2000 {
            let x = s.nextInt(below: bound)
            #expect(x >= 0 && x < bound)
            if x < bound / 2 + bound % 2 { belowHalf += 1 }
        }
        if bound >= 1000 { #expect(abs(belowHalf - 1000) < 150) }   // roughly uniform (σ ≈ 22)
        if bound == 1 { #expect(belowHalf == 2000) }
    }

    @Test func nextIntIsUniformByChiSquare() {
        // 100,000 draws into 10 cells, fixed seed: χ² with 9 degrees of freedom has mean 9;
        // 40 lies beyond the 99.999th percentile. Deterministic, so never flaky.
        var s = RandomStream(seed: 2024, purpose: .testing)
        var counts = [Int](repeating: 0, count: 10)
        let n = 100_000
        for _ in 0..<n { counts[s.nextInt(below: 10)] += 1 }
        let expected = Double(n) / 10
        let chiSquare = counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        #expect(chiSquare < 40, "counts \(counts)")

        // A bound that is not a power of two and rejects often (3·2⁶¹): halves still balanced.
        var t = RandomStream(seed: 2025, purpose: .testing)
        let bound = 3 << 61
        let low = (0..<10_000).filter { _ in t.nextInt(below: bound) < bound / 3 }.count
        #expect(abs(Double(low) / 10_000 - 1.0 / 3) < 0.02)
    }

    @Test(arguments: [(0, 5), (1, 1), (3, 10), (10, 10), (50, 1000)])
    func sampleGivesKDistinctValuesInRange(_ k: Int, _ n: Int) {
        var s = RandomStream(seed: UInt64(k * 1000 + n), purpose: .testing)
        for _ in 0..<20 {
            let x = s.sample(k, from: n)
            #expect(x.count == k)
            #expect(Set(x).count == k)
            #expect(x.allSatisfy { $0 >= 0 && $0 < n })
        }
    }

    @Test func sampleCoversEveryValueOverManyDraws() {
        var s = RandomStream(seed: 8, purpose: .testing)
        var seen = [Int](repeating: 0, count: 20)
        for _ in 0..<2000 { for x in s.sample(5, from: 20) { seen[x] += 1 } }
        // Each value is chosen with probability 1/4 per draw: 500 expected (σ ≈ 19).
        #expect(seen.allSatisfy { abs($0 - 500) < 100 }, "\(seen)")
    }

    @Test func shuffleIsAPermutation() {
        var s = RandomStream(seed: 11, purpose: .shuffling)
        let original = Array(0..<100)
        var items = original
        s.shuffle(&items)
        #expect(items.sorted() == original)
        #expect(items != original)
        var empty: [Int] = [], one = [42]
        s.shuffle(&empty); s.shuffle(&one)
        #expect(empty.isEmpty && one == [42])
        var strings = ["a", "b", "c", "d"]
        s.shuffle(&strings)
        #expect(strings.sorted() == ["a", "b", "c", "d"])
    }

    @Test func shuffleIsDeterministicAndUniformOverPositions() {
        var a = RandomStream(seed: 12, purpose: .shuffling), b = a
        var x = Array(0..<50), y = Array(0..<50)
        a.shuffle(&x); b.shuffle(&y)
        #expect(x == y)
        // Where element 0 lands, over 5,000 shuffles of 5 items: 1,000 each expected (σ ≈ 28).
        var s = RandomStream(seed: 13, purpose: .shuffling)
        var landing = [Int](repeating: 0, count: 5)
        for _ in 0..<5000 {
            var items = Array(0..<5); s.shuffle(&items)
            landing[items.firstIndex(of: 0)!] += 1
        }
        #expect(landing.allSatisfy { abs($0 - 1000) < 150 }, "\(landing)")
    }

    @Test func uniformMomentsAndRange() {
        var s = RandomStream(seed: 21, purpose: .testing)
        let n = 100_000
        let x = (0..<n).map { _ in s.nextUnit() }
        #expect(x.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = x.reduce(0, +) / Double(n)
        let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
        #expect(abs(mean - 0.5) < 0.005)          // σ(mean) ≈ 0.0009
        #expect(abs(variance - 1.0 / 12) < 0.002) // σ ≈ 0.0002
        let y = (0..<10_000).map { _ in s.uniform(-3, 5) }
        #expect(y.allSatisfy { $0 >= -3 && $0 < 5 })
        #expect(abs(y.reduce(0, +) / 10_000 - 1) < 0.1)
    }

    @Test func normalMoments() {
        var s = RandomStream(seed: 22, purpose: .testing)
        let n = 100_000
        let x = (0..<n).map { _ in s.normal() }
        #expect(x.allSatisfy { $0.isFinite })
        let mean = x.reduce(0, +) / Double(n)
        let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
        let skew = x.reduce(0) { $0 + cube($1 - mean) } / Double(n)
        let within1 = Double(x.filter { abs($0) < 1 }.count) / Double(n)
        #expect(abs(mean) < 0.02)          // σ(mean) ≈ 0.003
        #expect(abs(variance - 1) < 0.03)  // σ ≈ 0.0045
        #expect(abs(skew) < 0.05)
        #expect(abs(within1 - 0.682_689) < 0.01)
    }

    @Test func tensorDrawsHaveTheRequestedShapeAndRangeAndAreDeterministic() {
        var a = RandomStream(seed: 30, purpose: .testing), b = a
        let u: Tensor<Float> = a.uniformTensor([3, 4], low: -2, high: 2)
        let v: Tensor<Float> = b.uniformTensor([3, 4], low: -2, high: 2)
        #expect(u.shape == [3, 4] && u == v)
        #expect(u.scalars.allSatisfy { $0 >= -2 && $0 <= 2 })
        var c = RandomStream(seed: 31, purpose: .testing)
        let t: Tensor<Double> = c.truncatedNormalTensor([10_000], standardDeviation: 0.5)
        #expect(t.scalars.allSatisfy { abs($0) <= 1 })
        let n: Tensor<Double> = c.normalTensor([20_000], mean: 3, standardDeviation: 2)
        #expect(abs(n.scalars.reduce(0, +) / 20_000 - 3) < 0.1)
    }
}

@inline(__always) func cube(_ x: Double) -> Double { x * x * x }
