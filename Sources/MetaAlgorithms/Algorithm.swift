import MetaTensor
import MetaAutodiff
import MetaNN
import MetaTasks

/// The meta-learning algorithms, each a pure per-task step (see the type named in each case).
/// First-order variants are ``InnerLoop/firstOrder`` on `maml` (first-order MAML), `metaSGD`
/// and `anil`.
public enum Algorithm: String, Sendable, Hashable, CaseIterable, Codable {
    case maml, reptile
    case metaSGD = "metasgd"
    case anil
    case protoNet = "protonet"
    case pretrain

    /// Initial parameters: the model's, plus learned inner rates for Meta-SGD.
    public func initialParameters<S: TensorScalar>(model: any Model, seed: UInt64, as: S.Type = S.self) -> Parameters<Tensor<S>> {
        switch self {
        case .metaSGD: return MetaSGD.initialParameters(model: model, seed: seed, rateRange: 0.005...0.1, as: S.self)
        default: return model.initialParameters(seed: seed, as: S.self)
        }
    }

    /// One task's contribution to the meta-update.
    public func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop) -> TaskResult<S> {
        switch self {
        case .maml: return MAML.taskStep(model: model, parameters: parameters, task: task, inner: inner)
        case .reptile: return Reptile.taskStep(model: model, parameters: parameters, task: task, inner: inner)
        case .metaSGD: return MetaSGD.taskStep(model: model, parameters: parameters, task: task, inner: inner)
        case .anil: return ANIL.taskStep(model: model, parameters: parameters, task: task, inner: inner)
        case .protoNet: return PrototypicalNetworks.taskStep(model: model, parameters: parameters, task: task)
        case .pretrain: return Pretraining.taskStep(model: model, parameters: parameters, task: task)
        }
    }

    /// The contribution of a shard of whole reduction blocks (see ``ShardResult``): batched
    /// into one graph where ``TaskBatching`` applies, task by task otherwise; the two give
    /// the same bits.
    /// `traced` lets a batched step be recorded and replayed (see
    /// ``TaskBatching/mamlShard(model:parameters:tasks:inner:traced:)``).
    public func shardResult<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, tasks: [Task<S>],
                                             inner: InnerLoop, traced: TracedFunction<S>? = nil) -> ShardResult<S> {
        if TaskBatching.applies(algorithm: self, model: model, tasks: tasks) {
            return TaskBatching.mamlShard(model: model, parameters: parameters, tasks: tasks, inner: inner, traced: traced)
        }
        return ShardResult(tasks.map { taskStep(model: model, parameters: parameters, task: $0, inner: inner) })
    }

    /// The query metric after each evaluation step 0…K on one held-out task (one entry for
    /// ProtoNets, which does not adapt by gradient steps).
    public func evaluate<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop, steps: Int) -> [Double] {
        switch self {
        case .protoNet:
            return PrototypicalNetworks.evaluate(model: model, parameters: parameters, task: task)
        case .metaSGD:
            return MAML.evaluate(model: model, parameters: parameters, task: task, steps: steps, learningRate: 0,
                                 adapting: MetaSGD.modelNames(parameters), rates: MetaSGD.rates(parameters))
        case .anil:
            return MAML.evaluate(model: model, parameters: parameters, task: task, steps: steps,
                                 learningRate: inner.learningRate, adapting: model.headParameterNames)
        case .maml, .reptile, .pretrain:
            return MAML.evaluate(model: model, parameters: parameters, task: task, steps: steps, learningRate: inner.learningRate)
        }
    }
}
