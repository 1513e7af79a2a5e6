import MetaTensor
import MetaNN

/// Stochastic gradient descent, optionally with (Nesterov) momentum.
///
/// With learning rate η, momentum μ and gradient g at step t (velocity v₀ = 0):
/// ```
/// μ = 0:              θₜ = θₜ₋₁ − η·g
/// μ > 0:              vₜ = μ·vₜ₋₁ + g
///                     θₜ = θₜ₋₁ − η·vₜ
/// μ > 0, Nesterov:    θₜ = θₜ₋₁ − η·(g + μ·vₜ)
/// ```
/// This is PyTorch's `torch.optim.SGD` (dampening 0, no weight decay) and optax's
/// `sgd(learning_rate, momentum, nesterov)`. Without momentum the state holds only the step
/// count and the update is exactly `θ − η·g`, element by element, in the parameters' scalar type.
///
/// PyTorch's two further options, for the fine-tuning protocols that use them (Chen et al.
/// 2019's fresh linear head: momentum 0.9, dampening 0.9, weight decay 0.001):
/// - weight decay λ adds λ·θₜ₋₁ to the gradient first: g ← g + λ·θₜ₋₁;
/// - dampening d scales the gradient's share of the velocity after the first step:
///   v₁ = g, vₜ = μ·vₜ₋₁ + (1 − d)·g (the first step takes the gradient undamped, as PyTorch's
///   buffer starts as a copy of it). With d = 0 this is the rule above.
///
/// Checkpoint layout (``stateTensors(_:)``): `sgd.step` (``StepCount`` limbs) and, with
/// momentum, `sgd.velocity.<parameter>` for every parameter.
public struct SGD<Scalar: TensorScalar>: Optimizer {
    /// η: the step size.
    public var learningRate: Scalar
    /// μ in [0, 1): the decay of the velocity; 0 disables momentum.
    public var momentum: Scalar
    /// Whether to take the Nesterov look-ahead step (needs momentum > 0).
    public var nesterov: Bool
    /// d in [0, 1]: the gradient enters the velocity as (1 − d)·g after the first step; 0 by default.
    public var dampening: Scalar
    /// λ ≥ 0: L2 weight decay, λ·θ added to the gradient; 0 by default.
    public var weightDecay: Scalar

    public init(learningRate: Scalar, momentum: Scalar = 0, nesterov: Bool = false, dampening: Scalar = 0, weightDecay: Scalar = 0) {
        require(learningRate.isFinite && learningRate >= 0, "SGD: learning rate must be finite and ≥ 0, got \(learningRate)")
        require(momentum >= 0 && momentum < 1, "SGD: momentum must be in [0, 1), got \(momentum)")
        require(!nesterov || momentum > 0, "SGD: Nesterov momentum needs momentum > 0")
        require(dampening >= 0 && dampening <= 1, "SGD: dampening must be in [0, 1], got \(dampening)")
        require(!nesterov || dampening == 0, "SGD: Nesterov momentum needs dampening 0")
        require(weightDecay.isFinite && weightDecay >= 0, "SGD: weight decay must be finite and ≥ 0, got \(weightDecay)")
        self.learningRate = learningRate; self.momentum = momentum; self.nesterov = nesterov
        self.dampening = dampening; self.weightDecay = weightDecay
    }

    /// The step count and, with momentum, the velocity of every parameter.
    public struct State: Sendable, Equatable {
        /// How many updates have been applied.
        public var step: Int
        /// v, with the parameters' names and shapes; `nil` without momentum.
        public var velocity: Parameters<Tensor<Scalar>>?

        public init(step: Int, velocity: Parameters<Tensor<Scalar>>?) { self.step = step; self.velocity = velocity }
    }

    public func initialState(for parameters: Parameters<Tensor<Scalar>>) -> State {
        State(step: 0, velocity: momentum == 0 ? nil : parameters.map { Tensor(zeros: $0.shape) })
    }

    public func update(_ parameters: Parameters<Tensor<Scalar>>, gradients: Parameters<Tensor<Scalar>>,
                       state: State) -> (parameters: Parameters<Tensor<Scalar>>, state: State) {
        requireMatching(gradients, parameters, "SGD gradients")
        let lr = learningRate
        let decay = weightDecay
        let gradients = decay == 0 ? gradients : gradients.zip(parameters) { g, p in g + p * decay }
        guard momentum != 0 else {
            require(state.velocity == nil, "SGD: the state has a velocity but momentum is 0")
            return (parameters.zip(gradients) { p, g in p - g * lr }, State(step: state.step + 1, velocity: nil))
        }
        guard let velocity = state.velocity else { fatalError("SGD: momentum \(momentum) but the state has no velocity") }
        requireMatching(velocity, parameters, "SGD velocity")
        let mu = momentum
        let share = 1 - dampening
        let newVelocity = dampening == 0 ? velocity.zip(gradients) { v, g in v * mu + g }
            : state.step == 0 ? gradients : velocity.zip(gradients) { v, g in v * mu + g * share }
        let direction = nesterov ? gradients.zip(newVelocity) { g, v in g + v * mu } : newVelocity
        return (parameters.zip(direction) { p, d in p - d * lr }, State(step: state.step + 1, velocity: newVelocity))
    }

    public func stateTensors(_ state: State) -> Parameters<Tensor<Scalar>> {
        var entries: [(String, Tensor<Scalar>)] = [("sgd.step", StepCount.tensor(state.step))]
        if let velocity = state.velocity {
            entries += zip(velocity.names, velocity.values).map { ("sgd.velocity.\($0)", $1) }
        }
        return Parameters(entries)
    }

    public func restoreState(from tensors: Parameters<Tensor<Scalar>>,
                             for parameters: Parameters<Tensor<Scalar>>) throws -> State {
        let velocityNames = momentum == 0 ? [] : parameters.names.map { "sgd.velocity.\($0)" }
        let byName = try storedTensors(tensors, expected: ["sgd.step"] + velocityNames, optimizer: "SGD")
        let step = try StepCount.value(of: byName["sgd.step"]!, name: "sgd.step")
        let velocity = momentum == 0 ? nil : try storedMoments(byName, prefix: "sgd.velocity", for: parameters)
        return State(step: step, velocity: velocity)
    }
}
