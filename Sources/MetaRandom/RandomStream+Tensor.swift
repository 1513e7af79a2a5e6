import MetaTensor

extension RandomStream {
    /// A tensor of independent uniform draws in [low, high).
    public mutating func uniformTensor<S: TensorScalar>(_ shape: [Int], low: Double = 0, high: Double = 1) -> Tensor<S> {
        let n = shape.reduce(1, *)
        var values = [Double](repeating: 0, count: n)
        for i in 0..<n { values[i] = uniform(low, high) }
        return Tensor<Double>(shape: shape, scalars: values).converted()
    }

    /// A tensor of independent normal draws.
    public mutating func normalTensor<S: TensorScalar>(_ shape: [Int], mean: Double = 0, standardDeviation: Double = 1) -> Tensor<S> {
        let n = shape.reduce(1, *)
        var values = [Double](repeating: 0, count: n)
        for i in 0..<n { values[i] = mean + standardDeviation * normal() }
        return Tensor<Double>(shape: shape, scalars: values).converted()
    }

    /// Normal draws redrawn until within two standard deviations (TensorFlow's truncated normal).
    public mutating func truncatedNormalTensor<S: TensorScalar>(_ shape: [Int], standardDeviation: Double) -> Tensor<S> {
        let n = shape.reduce(1, *)
        var values = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var z = normal()
            while Swift.abs(z) > 2 { z = normal() }
            values[i] = standardDeviation * z
        }
        return Tensor<Double>(shape: shape, scalars: values).converted()
    }
}
