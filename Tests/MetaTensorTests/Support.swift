import MetaTensor
import MetaRandom

// Shared helpers of the tensor value tests: random inputs from a fixed testing stream and
// index arithmetic for the reference loops (which are written out in each test file).

/// Uniform draws in [low, high) from the testing stream `seed`.
func randomTensor(_ shape: [Int], seed: UInt64, low: Double = -1, high: Double = 1) -> Tensor<Double> {
    var stream = RandomStream(seed: seed, purpose: .testing)
    return stream.uniformTensor(shape, low: low, high: high)
}

/// Draws from a small set of values, so that equal elements (ties) are common.
func randomTensor(_ shape: [Int], seed: UInt64, choosingFrom values: [Double]) -> Tensor<Double> {
    var stream = RandomStream(seed: seed, purpose: .testing)
    let n = shape.reduce(1, *)
    return Tensor(shape: shape, scalars: (0..<n).map { _ in values[stream.nextInt(below: values.count)] })
}

/// Row-major multi-index of a flat position.
func multiIndex(_ flat: Int, _ shape: [Int]) -> [Int] {
    var index = [Int](repeating: 0, count: shape.count), rest = flat
    for d in stride(from: shape.count - 1, through: 0, by: -1) {
        index[d] = rest % shape[d]; rest /= shape[d]
    }
    return index
}

/// Flat position of a row-major multi-index.
func flatIndex(_ index: [Int], _ shape: [Int]) -> Int {
    zip(index, shape).reduce(0) { $0 * $1.1 + $1.0 }
}

/// `Σ a·b` over all elements (shapes must match).
func innerProduct(_ a: Tensor<Double>, _ b: Tensor<Double>) -> Double {
    precondition(a.shape == b.shape, "innerProduct: \(a.shape) vs \(b.shape)")
    return zip(a.scalars, b.scalars).reduce(0) { $0 + $1.0 * $1.1 }
}
