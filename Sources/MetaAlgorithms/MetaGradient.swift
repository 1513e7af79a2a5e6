import MetaTensor
import MetaNN

/// Reduction of per-task meta-gradients into the meta-batch gradient.
///
/// The reduction is fixed and blocked: tasks 0…B−1 are grouped in consecutive blocks of
/// ``blockSize`` (the last one may be shorter); each block's gradients are summed left to
/// right in task order, the block sums are summed left to right in block order, and the
/// total is scaled by 1/B. Floating-point addition is not associative, so this order is
/// part of the result: it never depends on arrival or on which process computed what.
/// Blocks let a worker that computed whole blocks send one block sum instead of
/// ``blockSize`` gradients (a quarter of the bytes), with bit-identical results.
public enum MetaGradient {
    /// Tasks per reduction block.
    public static let blockSize = 4

    /// The left-to-right sum of `gradients`.
    public static func sum<S: TensorScalar, C: Collection>(_ gradients: C) -> Parameters<Tensor<S>>
    where C.Element == Parameters<Tensor<S>> {
        require(!gradients.isEmpty, "MetaGradient.sum: no gradients")
        var total = gradients.first!
        for g in gradients.dropFirst() { total = total.zip(g) { $0 + $1 } }
        return total
    }

    /// The block sums of the gradients of tasks `0..<gradients.count`.
    public static func blockSums<S: TensorScalar>(_ gradients: [Parameters<Tensor<S>>]) -> [Parameters<Tensor<S>>] {
        stride(from: 0, to: gradients.count, by: blockSize).map { start in
            sum(gradients[start..<min(start + blockSize, gradients.count)])
        }
    }

    /// The mean of `taskCount` gradients from their block sums (in block order).
    public static func mean<S: TensorScalar>(blockSums: [Parameters<Tensor<S>>], taskCount: Int) -> Parameters<Tensor<S>> {
        require(blockSums.count == (taskCount + blockSize - 1) / blockSize,
                "MetaGradient.mean: \(blockSums.count) block sums for \(taskCount) tasks")
        let scale = 1 / S(taskCount)
        return sum(blockSums).map { $0 * scale }
    }

    /// The mean of the gradients of tasks `0..<gradients.count`, reduced as described above.
    public static func mean<S: TensorScalar>(_ gradients: [Parameters<Tensor<S>>]) -> Parameters<Tensor<S>> {
        require(!gradients.isEmpty, "MetaGradient.mean: no gradients")
        return mean(blockSums: blockSums(gradients), taskCount: gradients.count)
    }
}
