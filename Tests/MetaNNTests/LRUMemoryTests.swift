import Testing
import MetaTensor
import MetaAutodiff
import MetaRandom
import MetaNN
import MetaTestKit

/// The least-recently-used memory of Santoro et al. (2016) does what §3.1 says, and
/// backpropagation through it is exact to second order.
@Suite struct LRUMemoryTests {
    /// A state with distinct usages, generic memory and read weights.
    static func state(_ m: LRUMemory, usage: [Double], stream: inout RandomStream) -> LRUMemory.State<Double> {
        let reads: Tensor<Double> = stream.uniformTensor([m.readHeads, m.slots], low: 0, high: 1)
        return LRUMemory.State(memory: Variable(stream.uniformTensor([m.slots, m.width], low: -1, high: 1)),
                               usage: Variable(Tensor(shape: [1, m.slots], scalars: usage)), readWeights: Variable(reads))
    }

    @Test func aClosedGateWritesTheKeyEntirelyIntoTheLeastUsedSlot() {
        let m = LRUMemory(slots: 5, width: 3, readHeads: 1)
        var stream = RandomStream(seed: 1, purpose: .testing)
        let before = Self.state(m, usage: [0.9, 0.4, 0.1, 0.7, 0.3], stream: &stream)
        let key = Tensor<Double>(shape: [1, 3], scalars: [0.5, -0.25, 2])
        // σ(−1000) is exactly 0 (the stable sigmoid computes e^−1000 / (1 + e^−1000)).
        let (_, after) = m.step(before, keys: Variable(key), gates: Variable(Tensor(shape: [1, 1], scalars: [-1000])))
        // Slot 2 has the least usage: it is zeroed, then receives the key with weight 1.
        for j in 0..<3 { #expect(after.memory.value[2, j] == key[0, j]) }
        for i in [0, 1, 3, 4] {
            for j in 0..<3 { #expect(after.memory.value[i, j] == before.memory.value[i, j]) }
        }
    }

    @Test func anOpenGateWritesWhereThePreviousReadWent() {
        let m = LRUMemory(slots: 4, width: 2, readHeads: 1)
        let previous = Tensor<Double>(shape: [1, 4], scalars: [0, 0.25, 0, 0.75])
        let before = LRUMemory.State(memory: Variable(Tensor<Double>(shape: [4, 2], scalars: [1, 2, 3, 4, 5, 6, 7, 8])),
                                     usage: Variable(Tensor(shape: [1, 4], scalars: [0.5, 0.6, 0.1, 0.9])),
                                     readWeights: Variable(previous))
        let key = Tensor<Double>(shape: [1, 2], scalars: [1, -1])
        let (_, after) = m.step(before, keys: Variable(key), gates: Variable(Tensor(shape: [1, 1], scalars: [1000])))
        // Slot 2 (least used) is zeroed and gets no write; slots 1 and 3 get 0.25 and 0.75 of the key.
        let expected: [Double] = [1, 2, 3 + 0.25, 4 - 0.25, 0, 0, 7 + 0.75, 8 - 0.75]
        #expect(after.memory.value.scalars == expected)
    }

    @Test func theLeastUsedIndicatorMarksOneSlotPerReadHead() {
        let usage = Tensor<Double>(shape: [1, 6], scalars: [0.3, 0.1, 0.3, 0.05, 0.8, 0.2])
        #expect(LRUMemory.leastUsedIndicator(usage, count: 3).scalars == [0, 1, 0, 1, 0, 1])
        // Ties go to the lower index.
        #expect(LRUMemory.leastUsedIndicator(Tensor<Double>(zeros: [1, 4]), count: 2).scalars == [1, 1, 0, 0])
    }

    @Test func usageDecaysByGammaWhenNothingIsReadOrWritten() {
        let m = LRUMemory(slots: 3, width: 2, readHeads: 2, decay: 0.95)
        let usage = Tensor<Double>(shape: [1, 3], scalars: [1, 0.5, 2])
        let none = Variable(Tensor<Double>(zeros: [2, 3]))
        let decayed = m.updatedUsage(Variable(usage), readWeights: none, writeWeights: none).value
        #expect(decayed.scalars == [0.95, 0.475, 1.9])
        let read = Variable(Tensor<Double>(shape: [2, 3], scalars: [0.5, 0.5, 0, 0, 1, 0]))
        let written = Variable(Tensor<Double>(shape: [2, 3], scalars: [0, 0, 1, 0, 0, 0.25]))
        let both = m.updatedUsage(Variable(usage), readWeights: read, writeWeights: written).value
        #expect(both.scalars == [0.95 + 0.5, 0.475 + 1.5, 1.9 + 1.25])
    }

    @Test func readsAreCosineSoftmaxWeightedSumsOfTheWrittenMemory() {
        let m = LRUMemory(slots: 4, width: 3, readHeads: 2)
        var stream = RandomStream(seed: 2, purpose: .testing)
        let before = Self.state(m, usage: [0.2, 0.6, 0.4, 0.1], stream: &stream)
        let keys: Tensor<Double> = stream.uniformTensor([2, 3], low: -1, high: 1)
        let (reads, after) = m.step(before, keys: Variable(keys), gates: Variable(Tensor(shape: [2, 1], scalars: [0.3, -0.7])))
        let memory = after.memory.value
        for head in 0..<2 {
            var cosines: [Double] = []
            for i in 0..<4 {
                var dot = 0.0, kk = 0.0, mm = 0.0
                for j in 0..<3 { dot += keys[head, j] * memory[i, j]; kk += keys[head, j] * keys[head, j]; mm += memory[i, j] * memory[i, j] }
                cosines.append(dot / (kk.squareRoot() * mm.squareRoot()))
            }
            let e = cosines.map { Double.exp($0) }, z = e.reduce(0, +)
            for i in 0..<4 { #expect(Swift.abs(after.readWeights.value[head, i] - e[i] / z) < 1e-7) }
            for j in 0..<3 {
                let expected = (0..<4).map { e[$0] / z * memory[$0, j] }.reduce(0, +)
                #expect(Swift.abs(reads.value[head, j] - expected) < 1e-7)
            }
        }
    }

    @Test func aMemoryStepMatchesFiniteDifferencesToSecondOrder() {
        let m = LRUMemory(slots: 5, width: 3, readHeads: 2)
        var stream = RandomStream(seed: 3, purpose: .testing)
        let start = Self.state(m, usage: [0.5, 0.2, 0.9, 0.1, 0.7], stream: &stream)
        let keys: Tensor<Double> = stream.uniformTensor([2, 3], low: -1, high: 1)
        let gates: Tensor<Double> = stream.uniformTensor([2, 1], low: -1, high: 1)
        let f: GradientCheck.Function = { v in
            let state = LRUMemory.State(memory: v[0], usage: start.usage, readWeights: v[1])
            let (reads, after) = m.step(state, keys: v[2], gates: v[3])
            return reads.tanh().sum() + (after.usage * after.usage).sum() + after.memory.squared().sum() * 0.1
        }
        let point = [start.memory.value, start.readWeights.value, keys, gates]
        let direction = point.map { t -> Tensor<Double> in stream.uniformTensor(t.shape, low: -1, high: 1) }
        #expect(GradientCheck.firstOrderError(of: f, at: point) < 1e-7)
        #expect(GradientCheck.secondOrderError(of: f, at: point, direction: direction) < 1e-6)
    }
}
