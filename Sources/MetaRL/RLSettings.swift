/// The sampling and inner-loop settings of MAML for reinforcement learning (Finn et al. 2017
/// §5.3 and its reference code): 20 episodes per task and adaptation step, horizon 100,
/// discount 0.99, one vanilla policy-gradient step with α = 0.1.
public struct RLSettings: Sendable, Hashable {
    /// Episodes sampled per task for each adaptation step (and after the last).
    public var trajectories: Int
    public var horizon: Int
    /// γ of the discounted returns the baseline and advantages use (rllab's default 0.99).
    public var discount: Double
    /// α of the inner policy-gradient step.
    public var innerLearningRate: Double
    /// Inner steps during meta-training: 1 (MAML) or 0 (a policy trained on all tasks jointly,
    /// the paper's "pretrained" baseline).
    public var innerSteps: Int
    /// Treat the inner gradient as a constant (first-order MAML) in the outer gradient and
    /// Fisher products.
    public var firstOrder: Bool

    public init(trajectories: Int = 20, horizon: Int = NavigationEnvironment.paperHorizon, discount: Double = 0.99,
                innerLearningRate: Double = 0.1, innerSteps: Int = 1, firstOrder: Bool = false) {
        self.trajectories = trajectories; self.horizon = horizon; self.discount = discount
        self.innerLearningRate = innerLearningRate; self.innerSteps = innerSteps; self.firstOrder = firstOrder
    }

    public static let paper = RLSettings()
}
