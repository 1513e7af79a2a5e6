import MetaTensor
import MetaAutodiff
import MetaNN

/// One navigation task's part of a MAML-TRPO meta-iteration at parameters θ, and its answers to
/// the ``TRPORequest``s of that iteration.
///
/// Built once per (θ, task): episodes before adaptation (phase 0) at θ, the inner step
/// φ = θ − α ∇θ L_pre(θ) (``PolicyGradient``), episodes after adaptation (phase 1) at φ. The
/// outer objective is TRPO's on the post-adaptation episodes, with the adapted policy a
/// function of the parameters θ̃ being optimised through the (fixed) pre-adaptation episodes:
///
///     L(θ̃)  = −(1/n) Σ exp(log π_φ(θ̃)(a|s) − log π_φ(a|s)) Â        (post-adaptation steps)
///     KL(θ̃) = (1/n) Σ KL(π_φ(·|s) ‖ π_φ(θ̃)(·|s))
///
/// as the reference code's MAML-TRPO. With no inner step (``RLSettings/innerSteps`` 0) φ(θ̃) = θ̃
/// and the post-adaptation episodes are the phase-0 ones: plain TRPO on all tasks jointly.
///
/// Not thread-safe (it keeps the graph of ∇KL for the Fisher products of the iteration); a
/// pure function of its inputs otherwise.
public final class MetaPolicyTask<S: TensorScalar> {
    public let model: any Model
    public let theta: Parameters<Tensor<S>>
    public let settings: RLSettings
    /// The batch the inner step adapts on (nil without an inner step).
    public let preBatch: PolicyBatch<S>?
    /// The batch of the outer objective.
    public let postBatch: PolicyBatch<S>
    /// Mean undiscounted returns of the episodes before and after adaptation.
    public let returnBefore: Double, returnAfter: Double
    let oldLogLikelihoods: Tensor<S>
    let oldMeans: Tensor<S>
    let oldLogStd: Tensor<S>
    private var klGraph: (leaves: Parameters<Variable<S>>, gradient: [Variable<S>])?

    public init(model: any Model, parameters: Parameters<Tensor<S>>, environment: NavigationEnvironment, settings: RLSettings,
                seed: UInt64, iteration: UInt64, task: UInt32) {
        precondition(settings.innerSteps <= 1, "MetaPolicyTask: meta-training takes 0 or 1 inner steps")
        self.model = model; theta = parameters; self.settings = settings
        let pre = Rollouts.sample(environment: environment, model: model, parameters: parameters, trajectories: settings.trajectories,
                                  seed: seed, iteration: iteration, task: task, phase: 0)
        returnBefore = Rollouts.averageReturn(pre)
        let adapted: Parameters<Tensor<S>>
        let post: [Path]
        if settings.innerSteps == 0 {
            preBatch = nil; adapted = parameters; post = pre
        } else {
            let batch = PolicyBatch<S>(paths: pre, discount: settings.discount)
            preBatch = batch
            adapted = PolicyGradient.adapt(model: model, parameters: parameters.map { Variable(differentiable: $0) }, batch: batch,
                                           learningRate: S(settings.innerLearningRate), createGraph: false).map(\.value)
            post = Rollouts.sample(environment: environment, model: model, parameters: adapted, trajectories: settings.trajectories,
                                   seed: seed, iteration: iteration, task: task, phase: 1)
        }
        returnAfter = Rollouts.averageReturn(post)
        postBatch = PolicyBatch(paths: post, discount: settings.discount)
        let a = adapted.map { Variable($0) }
        oldLogLikelihoods = GaussianPolicy.logLikelihood(model: model, parameters: a, observations: postBatch.observations,
                                                         actions: postBatch.actions).value
        oldMeans = GaussianPolicy.means(model: model, parameters: adapted, observations: postBatch.observations)
        oldLogStd = adapted[GaussianPolicy.logStdName]
    }

    /// φ(θ̃): the inner step from θ̃ (recorded unless first order). Constant θ̃ (a line-search
    /// candidate) still adapts: the inner gradient is then taken at fresh leaves of its value.
    public func adapted(_ leaves: Parameters<Variable<S>>) -> Parameters<Variable<S>> {
        guard let preBatch else { return leaves }
        let rate = S(settings.innerLearningRate)
        if leaves.values.contains(where: \.requiresGradient) {
            return PolicyGradient.adapt(model: model, parameters: leaves, batch: preBatch, learningRate: rate, createGraph: !settings.firstOrder)
        }
        return PolicyGradient.adapt(model: model, parameters: leaves.map { Variable(differentiable: $0.value) }, batch: preBatch,
                                    learningRate: rate, createGraph: false).map { $0.detached() }
    }

    /// L(θ̃) for differentiable θ̃.
    public func surrogate(_ leaves: Parameters<Variable<S>>) -> Variable<S> {
        let phi = adapted(leaves)
        let logli = GaussianPolicy.logLikelihood(model: model, parameters: phi, observations: postBatch.observations,
                                                 actions: postBatch.actions)
        let ratio = (logli - Variable(oldLogLikelihoods)).exp()
        return -(ratio * Variable(postBatch.advantages)).mean()
    }

    /// KL(θ̃) for differentiable θ̃.
    public func meanKL(_ leaves: Parameters<Variable<S>>) -> Variable<S> {
        GaussianPolicy.meanKL(model: model, parameters: adapted(leaves), observations: postBatch.observations,
                              oldMeans: oldMeans, oldLogStd: oldLogStd)
    }

    /// The answer to `request` for this task.
    public func answer(_ request: TRPORequest) -> TRPOReply {
        switch request {
        case .surrogate:
            let leaves = theta.map { Variable(differentiable: $0) }
            let loss = surrogate(leaves)
            let g = gradients(of: loss, at: leaves)
            return .surrogate(loss: Double(loss.scalar), gradient: FlatParameters.flatten(g.map(\.value)), metric: returnAfter)
        case let .fisherProduct(v):
            return .fisherProduct(fisherProduct(v))
        case let .candidate(vector):
            let leaves = FlatParameters.unflatten(vector, like: theta).map { Variable($0) }
            return .candidate(loss: Double(surrogate(leaves).scalar), kl: Double(meanKL(leaves).scalar))
        }
    }

    /// `∇²KL(θ) v` by differentiating ⟨∇KL(θ̃), v⟩ at θ̃ = θ; the graph of ∇KL is built once and
    /// kept for the iteration's products.
    public func fisherProduct(_ v: [Double]) -> [Double] {
        let graph: (leaves: Parameters<Variable<S>>, gradient: [Variable<S>])
        if let klGraph { graph = klGraph } else {
            let leaves = theta.map { Variable(differentiable: $0) }
            graph = (leaves, gradients(of: meanKL(leaves), withRespectTo: leaves.values, createGraph: true))
            klGraph = graph
        }
        let direction = FlatParameters.unflatten(v, like: theta)
        var inner = Variable<S>(S(0))
        for (g, d) in zip(graph.gradient, direction.values) { inner = inner + (g * Variable(d)).sum() }
        return gradients(of: inner, withRespectTo: graph.leaves.values).flatMap { $0.value.scalars.map { Double($0) } }
    }
}
