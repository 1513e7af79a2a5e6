import MetaTensor
import MetaNN

/// Reduction of per-task meta-gradients into the meta-batch gradient.
public enum MetaGradient {
    /// The mean of `results`' meta-gradients, summed strictly in task-index order.
    ///
    /// Floating-point addition is not associative, so the order is part of the result: summing
    /// by task index (never by arrival) is what makes a run bit-identical whatever the number
    /// of processes that computed the tasks.
    public static func mean<S: TensorScalar>(_ gradients: [Parameters<Tensor<S>>]) -> Parameters<Tensor<S>> {
        require(!gradients.isEmpty, "MetaGradient.mean: no gradients")
        var sum = gradients[0]
        for g in gradients.dropFirst() { sum = sum.zip(g) { $0 + $1 } }
        let scale = 1 / S(gradients.count)
        return sum.map { $0 * scale }
    }
}
