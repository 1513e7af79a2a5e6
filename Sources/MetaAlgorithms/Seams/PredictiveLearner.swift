import MetaTensor
import MetaNN
import MetaTasks

/// A learner whose adaptation is a distribution over networks (``ABMLLearner``): its
/// predictions are draws, and regression adds an observation noise to each.
///
/// ``Calibration`` scores it by its own predictive distribution; other learners' regression
/// predictions get a constant noise fitted on validation tasks instead.
public protocol PredictiveLearner: Learner {
    /// Each posterior draw's query outputs after `steps` adaptation steps (`[queries, 1]`
    /// predictions or `[queries, classes]` scores), as many as `inner.samples`.
    func sampleOutputs<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, input: AdaptationInput<S>,
                                        inner: InnerLoop, steps: Int) -> [Tensor<S>]

    /// A regression task's predictive after `steps` adaptation steps: the posterior draws'
    /// query predictions (as ``sampleOutputs(model:parameters:input:inner:steps:)``) and the
    /// observation noise's standard deviation added to each at each query point (one per query,
    /// which may depend on the task and the point).
    func predictive<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, input: AdaptationInput<S>,
                                     inner: InnerLoop, steps: Int) -> (draws: [Tensor<S>], noise: [Double])
}
