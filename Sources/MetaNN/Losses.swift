import MetaTensor
import MetaAutodiff

/// Loss functions and distances, written with differentiable operations.
public enum Losses {
    /// Mean cross-entropy of integer `labels` under `logits` (`[n, classes]`), computed from a
    /// stable log-softmax.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func crossEntropy<S>(logits: Variable<S>, labels: [Int]) -> Variable<S> {
        require(logits.rank == 2 && logits.shape[0] == labels.count,
                     "shape error in crossEntropy: logits \(logits.shape) vs \(labels.count) labels")
        let classes = logits.shape[1]
        let picked = logits.logSoftmax(alongAxis: 1) * Variable(Tensor<S>.oneHot(labels, classes: classes))
        return -picked.sum() * (1 / S(labels.count))
    }

    /// Mean squared error `mean((prediction − target)²)`.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func meanSquaredError<S>(_ prediction: Variable<S>, _ target: Variable<S>) -> Variable<S> {
        require(prediction.shape == target.shape,
                     "shape error in meanSquaredError: \(prediction.shape) vs \(target.shape)")
        return (prediction - target).squared().mean()
    }

    /// Fraction of rows whose largest logit is at the label.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func accuracy<S>(logits: Tensor<S>, labels: [Int]) -> Double {
        let (indices, _) = logits.argmax(alongAxis: 1)
        let classes = logits.shape[1]
        var correct = 0
        for (i, flat) in indices.enumerated() where Int(flat) - i * classes == labels[i] { correct += 1 }
        return labels.isEmpty ? 0 : Double(correct) / Double(labels.count)
    }

    /// Squared Euclidean distances between the rows of `a` (`[n, d]`) and of `b` (`[m, d]`): `[n, m]`.
    /// Computed as a sum of squared differences, not `|a|² + |b|² − 2ab`, which cancels badly
    /// for nearby points (prototypes close to their queries).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func pairwiseSquaredDistances<S>(_ a: Variable<S>, _ b: Variable<S>) -> Variable<S> {
        require(a.rank == 2 && b.rank == 2 && a.shape[1] == b.shape[1],
                     "shape error in pairwiseSquaredDistances: \(a.shape) vs \(b.shape)")
        let (n, m, d) = (a.shape[0], b.shape[0], a.shape[1])
        let diff = a.reshaped([n, 1, d]) - b.reshaped([1, m, d])
        return diff.squared().sum(alongAxes: [2])
    }

    /// Cosine similarity between the rows of `a` (`[n, d]`) and of `b` (`[m, d]`): `[n, m]`.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func cosineSimilarity<S>(_ a: Variable<S>, _ b: Variable<S>, epsilon: S = 1e-8) -> Variable<S> {
        require(a.rank == 2 && b.rank == 2 && a.shape[1] == b.shape[1],
                     "shape error in cosineSimilarity: \(a.shape) vs \(b.shape)")
        let an = a / (a.squared().sum(alongAxes: [1], keepingDimensions: true) + epsilon).sqrt()
        let bn = b / (b.squared().sum(alongAxes: [1], keepingDimensions: true) + epsilon).sqrt()
        return Variable.matmul(an, bn, transposeB: true)
    }

    /// Log-density of `x` under independent Gaussians `N(mean, exp(logStd)²)`, summed over the
    /// last axis (policy gradients, probabilistic meta-learning).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func gaussianLogLikelihood<S>(_ x: Variable<S>, mean: Variable<S>, logStd: Variable<S>) -> Variable<S> {
        let z = (x - mean) * (-logStd).exp()
        let halfLog2Pi = S(0.5) * S.log(2 * S.pi)
        let perDim = z.squared() * S(-0.5) - logStd - halfLog2Pi
        return perDim.sum(alongAxes: [perDim.rank - 1])
    }
}
