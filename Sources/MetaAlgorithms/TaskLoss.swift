import MetaTensor
import MetaAutodiff
import MetaNN
import MetaTasks

/// The loss and metric of a model's prediction against a task's targets.
public enum TaskLoss {
    /// MSE for regression, mean cross-entropy for classification.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func loss<S>(_ prediction: Variable<S>, _ targets: Targets<S>) -> Variable<S> {
        switch targets {
        case let .regression(y): return Losses.meanSquaredError(prediction, Variable(y))
        case let .classification(labels): return Losses.crossEntropy(logits: prediction, labels: labels)
        }
    }

    /// MSE for regression, accuracy for classification.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func metric<S>(_ prediction: Tensor<S>, _ targets: Targets<S>) -> Double {
        switch targets {
        case let .regression(y): return Double((prediction - y).map(.square).mean().scalar)
        case let .classification(labels): return Losses.accuracy(logits: prediction, labels: labels)
        }
    }
}
