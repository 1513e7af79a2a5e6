import MetaTensor
import MetaNN

/// Parameters as one flat vector of `Double`, entries in the layout's order and each tensor's
/// row-major order: the vectors of ``TRPORequest`` and ``TRPOStep``.
public enum FlatParameters {
    public static func flatten<S: TensorScalar>(_ p: Parameters<Tensor<S>>) -> [Double] {
        p.values.flatMap { $0.scalars.map { Double($0) } }
    }

    /// `vector` shaped like `like` (same layout and tensor shapes).
    public static func unflatten<S: TensorScalar>(_ vector: [Double], like: Parameters<Tensor<S>>) -> Parameters<Tensor<S>> {
        precondition(vector.count == like.scalarCount, "FlatParameters: \(vector.count) values for \(like.scalarCount) parameters")
        var offset = 0
        return like.map { t in
            defer { offset += t.count }
            return Tensor(shape: t.shape, scalars: vector[offset..<(offset + t.count)].map { S($0) })
        }
    }
}
