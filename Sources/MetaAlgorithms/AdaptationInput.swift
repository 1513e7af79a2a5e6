import MetaTensor
import MetaTasks

/// What a learner adapts on and predicts for: a support set with its targets and the query
/// inputs, without the query's targets (a ``Task`` whose answers are not known, as when a
/// user brings their own examples).
///
/// ``Learner/queryOutputs(model:parameters:input:inner:steps:)`` takes it, so the evaluation
/// protocol (which knows the answers and scores them) and `metatrain adapt` (which does not)
/// run the same adaptation.
public struct AdaptationInput<S: TensorScalar>: Sendable {
    public var supportInputs: Tensor<S>
    public var supportTargets: Targets<S>
    public var queryInputs: Tensor<S>

    public init(supportInputs: Tensor<S>, supportTargets: Targets<S>, queryInputs: Tensor<S>) {
        require(supportInputs.shape[0] == supportTargets.count, "adaptation input: support inputs and targets disagree in count")
        self.supportInputs = supportInputs; self.supportTargets = supportTargets; self.queryInputs = queryInputs
    }

    /// A task's support set and query inputs.
    public init(_ task: Task<S>) {
        self.init(supportInputs: task.supportInputs, supportTargets: task.supportTargets, queryInputs: task.queryInputs)
    }
}
