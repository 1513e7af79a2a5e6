/// One episode: the observation before each step, the action taken there (in the policy's
/// unclipped action space) and the reward received, each step's entries consecutive.
public struct Path: Sendable, Equatable {
    /// `[steps × observationWidth]`, row-major.
    public var observations: [Double]
    /// `[steps × actionWidth]`, row-major.
    public var actions: [Double]
    public var rewards: [Double]

    public init(observations: [Double], actions: [Double], rewards: [Double]) {
        self.observations = observations; self.actions = actions; self.rewards = rewards
    }

    public var steps: Int { rewards.count }

    /// The undiscounted return: the paper's reported figure ("average return").
    public var totalReward: Double { rewards.reduce(0, +) }

    /// `Σ_{t'≥t} γ^{t'−t} r_{t'}` for every step t.
    public func discountedReturns(discount: Double) -> [Double] {
        var out = [Double](repeating: 0, count: steps)
        var running = 0.0
        for t in stride(from: steps - 1, through: 0, by: -1) {
            running = rewards[t] + discount * running
            out[t] = running
        }
        return out
    }
}
