import Testing
import MetaTensor

/// Elementwise binary kernels with NumPy broadcasting, against an index-by-index reference.
@Suite struct BroadcastingTests {
    static let allKernels: [BinaryKernel] = [.add, .subtract, .multiply, .divide, .maximum, .minimum, .greater, .equal]

    /// Pairs of shapes that broadcast: equal, rank mismatch, size-1 stretching on either or
    /// both sides, rank 0, and layouts the kernel can coalesce.
    static let shapePairs: [([Int], [Int])] = [
        ([2, 3], [2, 3]),
        ([2, 3], [3]), ([3], [2, 3]),
        ([2, 3], [2, 1]), ([2, 1], [2, 3]),
        ([4, 1], [1, 5]), ([1, 5], [4, 1]),
        ([2, 1, 4], [3, 1]), ([1, 3, 1], [2, 1, 4]),
        ([], [2, 3]), ([2, 3], []), ([], []),
        ([1], [2, 3]), ([2, 3, 4, 5], [3, 1, 5]), ([2, 3, 4, 5], [1, 3, 1, 1]),
        ([4, 5, 6], [4, 1, 6]), ([1, 1], [1]), ([3, 1, 1], [1, 1, 7]),
    ]

    static func reference(_ op: BinaryKernel) -> (Double, Double) -> Double {
        switch op {
        case .add: return { $0 + $1 }
        case .subtract: return { $0 - $1 }
        case .multiply: return { $0 * $1 }
        case .divide: return { $0 / $1 }
        case .maximum: return { Swift.max($0, $1) }
        case .minimum: return { Swift.min($0, $1) }
        case .greater: return { $0 > $1 ? 1 : 0 }
        case .equal: return { $0 == $1 ? 1 : 0 }
        }
    }

    /// Evaluates `op` element by element on the broadcast shape.
    static func referenceZip(_ op: BinaryKernel, _ a: Tensor<Double>, _ b: Tensor<Double>) -> Tensor<Double> {
        let rank = Swift.max(a.rank, b.rank)
        let pa = [Int](repeating: 1, count: rank - a.rank) + a.shape
        let pb = [Int](repeating: 1, count: rank - b.rank) + b.shape
        let shape = zip(pa, pb).map { Swift.max($0, $1) }
        let f = reference(op), av = a.scalars, bv = b.scalars
        let n = shape.reduce(1, *)
        let out = (0..<n).map { flat -> Double in
            let index = multiIndex(flat, shape)
            let ia = zip(index, pa).map { $1 == 1 ? 0 : $0 }, ib = zip(index, pb).map { $1 == 1 ? 0 : $0 }
            return f(av[flatIndex(ia, pa)], bv[flatIndex(ib, pb)])
        }
        return Tensor(shape: shape, scalars: out)
    }

    @Test(arguments: allKernels)
    func kernelMatchesReferenceForEveryBroadcastPattern(op: BinaryKernel) {
        // Few distinct values, none zero: ties for greater/equal/maximum/minimum, no division by zero.
        let values: [Double] = [-2, -1, -0.5, 0.5, 1, 2]
        for (k, (sa, sb)) in Self.shapePairs.enumerated() {
            let a = randomTensor(sa, seed: UInt64(2 * k + 1), choosingFrom: values)
            let b = randomTensor(sb, seed: UInt64(2 * k + 2), choosingFrom: values)
            let got = Tensor.zip(op, a, b), want = Self.referenceZip(op, a, b)
            #expect(got == want, "\(op) of \(sa) and \(sb)")
        }
    }

    @Test(arguments: allKernels)
    func kernelMatchesReferenceOnContinuousValues(op: BinaryKernel) {
        let a = randomTensor([3, 4, 5], seed: 40), b = randomTensor([4, 1], seed: 41, low: 0.5, high: 2)
        #expect(Tensor.zip(op, a, b) == Self.referenceZip(op, a, b))
        #expect(Tensor.zip(op, b, a.map(.abs).map(.shift, parameter: 0.5)) ==
                Self.referenceZip(op, b, a.map(.abs).map(.shift, parameter: 0.5)))
    }

    @Test func operatorsAreTheirKernels() {
        let a = randomTensor([2, 3], seed: 50), b = randomTensor([3], seed: 51, low: 1, high: 2)
        #expect(a + b == Tensor.zip(.add, a, b))
        #expect(a - b == Tensor.zip(.subtract, a, b))
        #expect(a * b == Tensor.zip(.multiply, a, b))
        #expect(a / b == Tensor.zip(.divide, a, b))
        #expect(-a == a.map(.negate))
        #expect(a * 3 == a.map(.scale, parameter: 3))
        #expect(3 * a == a.map(.scale, parameter: 3))
        #expect(a + 3 == a.map(.shift, parameter: 3))
        #expect(a - 3 == a.map(.shift, parameter: -3))
    }

    @Test func broadcastToStretchesSizeOneAndMissingAxes() {
        let a = Tensor<Double>(shape: [3, 1], scalars: [1, 2, 3])
        let b = a.broadcast(to: [2, 3, 4])
        #expect(b.shape == [2, 3, 4])
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { #expect(b[i, j, k] == Double(j + 1)) } } }
        #expect(Tensor<Double>(7).broadcast(to: [2, 2]).scalars == [7, 7, 7, 7])
        #expect(a.broadcast(to: [3, 1]) == a)
    }

    @Test func broadcastShapeFollowsNumPyRules() throws {
        #expect(try Shape.broadcast([2, 1, 4], [3, 1], op: "t") == [2, 3, 4])
        #expect(try Shape.broadcast([], [5], op: "t") == [5])
        #expect(try Shape.broadcast([1], [], op: "t") == [1])
        #expect(try Shape.broadcastStrides([3, 1], to: [2, 3, 4], op: "t") == [0, 1, 0])
        #expect(try Shape.broadcastStrides([2, 3], to: [2, 3], op: "t") == [3, 1])
        #expect(try Shape.broadcastStrides([], to: [2, 3], op: "t") == [0, 0])
    }
}
