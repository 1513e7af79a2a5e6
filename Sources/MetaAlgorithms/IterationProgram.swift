import MetaTensor

/// One meta-iteration as a small state machine the learner owns: a request for the workers,
/// then, given that request's reduced result, either the next request or the finished update.
///
/// ```
/// program = learner.iterationProgram(trainer, state)     the first request: program.request
/// loop:  result = items 0…request.items−1 of the request, computed anywhere, reduced in item order
///        program.next(result) → .request(r)   (program.request == r; another round)
///                             → .update(state′, metrics)   (the iteration is done)
/// ```
/// The single-process trainer (``MetaTrainer/step(_:)``) and the cluster's coordinator run the
/// same program, so a run is bit-identical whatever the number of workers. A program is a
/// value: copying it before ``next(_:)`` keeps a state to return to (the coordinator does so to
/// recompute a round whose update turned out non-finite).
///
/// **Writing a multi-round program** (e.g. conjugate gradient with Hessian-vector products
/// reduced across workers): keep the solver's state in the program, put the vector to multiply
/// into the next request's `payload`, and read the product back from the reduced block sums:
/// ```
/// mutating func next(_ r: ShardResult<S>) -> IterationStep<S> {
///     let product = MetaGradient.sum(r.blockSums)         // Σ over items of H_i · payload
///     direction = cg.step(product)                        // the solver's own arithmetic
///     if cg.done { return .update(trainer.apply(step, to: state)) }
///     request = WorkRequest(work: hvpCode, payload: direction, items: tasks)
///     return .request(request)
/// }
/// ```
/// with the learner's ``Learner/workResult(trainer:work:payload:iteration:items:parameters:)``
/// answering `hvpCode` with each item's product (``ShardResult`` block sums). The test
/// `IterationProgramTests` holds a complete one.
public protocol IterationProgram<Scalar> {
    associatedtype Scalar: TensorScalar
    /// The current request (the first one before any ``next(_:)``).
    var request: WorkRequest { get }
    /// Consumes the reduced result of ``request`` (items in index order: block sums for a
    /// block-sum request, one scalar vector per item otherwise, and every item's loss and metric).
    mutating func next(_ result: ShardResult<Scalar>) -> IterationStep<Scalar>
}

/// What an ``IterationProgram`` does after a round.
public enum IterationStep<S: TensorScalar>: Sendable {
    /// Another round: this request (also the program's ``IterationProgram/request`` now).
    case request(WorkRequest)
    /// The iteration is done: the trainer's next state and the iteration's figures.
    case update(MetaTrainer<S>.State, MetaTrainer<S>.IterationMetrics)
}

/// The program of the gradient learners (MAML, Reptile, ProtoNets, …): one round of per-task
/// meta-gradients over the meta-batch, reduced by block sums, then one outer optimizer step.
public struct MetaGradientProgram<S: TensorScalar>: IterationProgram {
    public let trainer: MetaTrainer<S>
    public let state: MetaTrainer<S>.State
    public let request: WorkRequest

    public init(trainer: MetaTrainer<S>, state: MetaTrainer<S>.State) {
        self.trainer = trainer
        self.state = state
        request = .metaGradient(items: trainer.configuration.metaBatchSize)
    }

    public mutating func next(_ result: ShardResult<S>) -> IterationStep<S> {
        let (next, metrics) = trainer.apply(result, to: state)
        return .update(next, metrics)
    }
}
