import MetaTensor
import MetaNN
import MetaRL

/// One MAML-TRPO meta-iteration (``MAMLTRPOLearner``) as rounds: the ``TRPOStep`` state
/// machine's requests sent to the meta-batch's tasks as ``WorkRequest``s, the answers summed
/// in task-index order, then the step's parameters as the next state.
///
/// Rounds, each over items 0…B−1 (the meta-batch's tasks), each item answering a vector of
/// `Double` scalars:
///
/// | ``TRPORequest``            | work                  | payload | scalars per item           |
/// |----------------------------|-----------------------|---------|----------------------------|
/// | surrogate                  | ``surrogateWork``     | none    | ∇Lᵢ(θ) (d values); Lᵢ and the return as the item's loss and metric |
/// | Fisher product (CG, sᵀFs)  | ``fisherProductWork`` | v (d)   | ∇²KLᵢ(θ) v (d values)      |
/// | line-search candidate      | ``candidateWork``     | θ′ (d)  | (Lᵢ(θ′), KLᵢ(θ′))          |
///
/// so an iteration with the paper's settings is 1 + 10 + 1 rounds and 1 to 15 candidates.
/// The items' vectors are summed left to right in item order in `Double` (``TRPOReply/sum(_:)``),
/// exactly as ``MAMLTRPO/step(model:parameters:goals:settings:trpo:seed:iteration:)`` sums its
/// tasks' answers in one process: the bits do not depend on which process computed an item.
/// Per-item vectors rather than block sums (``MetaGradient``) keep that sum in `Double`: block
/// sums would add in the parameters' precision (`Float` in training).
///
/// The outer optimizer is not used; its state is kept as it is.
public struct MAMLTRPOProgram<S: TensorScalar>: IterationProgram {
    /// The work code of a surrogate round (``TRPORequest/surrogate``).
    public static var surrogateWork: UInt16 { 1 }
    /// The work code of a Fisher-vector-product round (payload: the vector).
    public static var fisherProductWork: UInt16 { 2 }
    /// The work code of a line-search round (payload: the candidate parameters θ′).
    public static var candidateWork: UInt16 { 3 }

    public let trainer: MetaTrainer<S>
    public let state: MetaTrainer<S>.State
    /// Whether the step's result becomes the next parameters (false: the random-policy baseline).
    public let updates: Bool
    public private(set) var request: WorkRequest
    private var machine: TRPOStep

    /// The program from `state`; `updates` false runs only the surrogate round (for the
    /// iteration's loss and metric) and keeps θ.
    public init(trainer: MetaTrainer<S>, state: MetaTrainer<S>.State, updates: Bool) {
        self.trainer = trainer
        self.state = state
        self.updates = updates
        let settings = updates ? TRPOSettings.paper : TRPOSettings(cgIterations: 0, maxBacktracks: 0)
        machine = TRPOStep(parameters: FlatParameters.flatten(state.parameters), taskCount: trainer.configuration.metaBatchSize,
                           settings: settings)
        request = Self.workRequest(machine.request!, items: trainer.configuration.metaBatchSize, dimension: state.parameters.scalarCount)
    }

    /// The round that answers `request` over `items` tasks, for `dimension` parameters.
    public static func workRequest(_ request: TRPORequest, items: Int, dimension: Int) -> WorkRequest {
        switch request {
        case .surrogate:
            return WorkRequest(work: surrogateWork, items: items, scalarsPerItem: dimension)
        case let .fisherProduct(v):
            return WorkRequest(work: fisherProductWork, payload: v, items: items, scalarsPerItem: dimension)
        case let .candidate(theta):
            return WorkRequest(work: candidateWork, payload: theta, items: items, scalarsPerItem: 2)
        }
    }

    public mutating func next(_ result: ShardResult<S>) -> IterationStep<S> {
        machine.receive(Self.reply(to: request, result))
        guard let outcome = machine.outcome else {
            request = Self.workRequest(machine.request!, items: request.items, dimension: state.parameters.scalarCount)
            return .request(request)
        }
        let parameters = updates ? FlatParameters.unflatten(outcome.parameters, like: state.parameters) : state.parameters
        return .update(MetaTrainer<S>.State(parameters: parameters, optimizer: state.optimizer, iteration: state.iteration + 1),
                       MetaTrainer<S>.IterationMetrics(iteration: state.iteration, metaLoss: outcome.lossBefore, metric: outcome.metric))
    }

    /// The sum over the items, in item order, of their answers to `request`.
    static func reply(to request: WorkRequest, _ r: ShardResult<S>) -> TRPOReply {
        let items = r.scalars.indices
        switch request.work {
        case surrogateWork:
            return TRPOReply.sum(items.map { .surrogate(loss: r.losses[$0], gradient: r.scalars[$0], metric: r.metrics[$0]) })
        case fisherProductWork:
            return TRPOReply.sum(items.map { .fisherProduct(r.scalars[$0]) })
        default:
            return TRPOReply.sum(items.map { .candidate(loss: r.scalars[$0][0], kl: r.scalars[$0][1]) })
        }
    }
}
