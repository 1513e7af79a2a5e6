import MetaTensor
import MetaAutodiff
import MetaNN
import MetaTasks

/// ANIL, "almost no inner loop" (Raghu, Raghu, Bengio & Vinyals 2020): MAML whose inner
/// loop adapts only the head; the body is shared as is, and the meta-gradient still reaches
/// every parameter (the body through the features the adapted head reads).
public enum ANIL {
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                                 inner: InnerLoop) -> TaskResult<S> {
        let theta = parameters.map { Variable(differentiable: $0) }
        let adapted = InnerUpdate.adapt(model: model, parameters: theta, inputs: task.supportInputs,
                                        targets: task.supportTargets, steps: inner.steps,
                                        learningRate: S(inner.learningRate), createGraph: !inner.firstOrder,
                                        adapting: model.headParameterNames)
        return MAML.queryResult(model: model, adapted: adapted, task: task, leaves: theta)
    }
}
