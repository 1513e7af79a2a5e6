import MetaTensor
import MetaNN

/// Small deterministic parameter and gradient sets shared by the optimizer tests.
enum Fixtures {
    /// Three tensors of different ranks (including a scalar), values spread over signs and magnitudes.
    static func parameters<S: TensorScalar>(_: S.Type = S.self) -> Parameters<Tensor<S>> {
        Parameters([
            ("layer.weight", Tensor(shape: [2, 3], scalars: [0.5, -1.25, 2, 0.125, -3, 0.75])),
            ("layer.bias", Tensor(shape: [3], scalars: [0, 1, -1])),
            ("scale", Tensor(shape: [], scalars: [1.5])),
        ])
    }

    /// Gradients for step `k` (1-based): a different, sign-varying pattern each step.
    static func gradients<S: TensorScalar>(like parameters: Parameters<Tensor<S>>, step k: Int) -> Parameters<Tensor<S>> {
        var offset = 0
        return parameters.map { p in
            let values = (0..<p.count).map { i -> S in
                let j = Double(offset + i + 1), s = Double(k)
                return S(((j * 0.37 + s * 1.13).truncatingRemainder(dividingBy: 2) - 1) * (0.5 + j * 0.25) * (k % 2 == 0 ? -1 : 1))
            }
            offset += p.count
            return Tensor(shape: p.shape, scalars: values)
        }
    }

    /// A deep copy (fresh storage) for checking that inputs are left untouched.
    static func deepCopy<S: TensorScalar>(_ p: Parameters<Tensor<S>>) -> Parameters<Tensor<S>> {
        p.map { Tensor(shape: $0.shape, scalars: $0.scalars) }
    }

    /// All scalars of a set, in order, as Double.
    static func flat<S: TensorScalar>(_ p: Parameters<Tensor<S>>) -> [Double] {
        p.values.flatMap { $0.scalars.map(Double.init) }
    }
}
