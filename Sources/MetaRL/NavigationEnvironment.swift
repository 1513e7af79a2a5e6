import MetaRandom

/// The 2-D navigation task of Finn et al. 2017 (MAML) §5.3: a point agent starts at the
/// origin and moves toward a goal drawn uniformly from [−0.5, 0.5]²; each step's reward is the
/// negative distance to the goal after the move; episodes last `horizon` steps.
///
/// As the reference code (cbfinn/maml_rl, `PointEnvRandGoal` under rllab's `normalize`
/// wrapper), the policy acts in [−1, 1]: a policy action `a` moves the agent by
/// `clip(0.1 · a, −0.1, 0.1)` per coordinate, and an episode ends early once the agent is within
/// 0.01 of the goal in both coordinates. Pure: no state besides the arguments.
public struct NavigationEnvironment: Sendable, Equatable {
    public var goal: (x: Double, y: Double)
    public var horizon: Int

    /// The largest move per coordinate (the paper's action bound).
    public static let actionBound = 0.1
    /// Goals are drawn from [−goalRange, goalRange]².
    public static let goalRange = 0.5
    /// The paper's episode length.
    public static let paperHorizon = 100

    public init(goal: (x: Double, y: Double), horizon: Int = paperHorizon) {
        self.goal = goal; self.horizon = horizon
    }

    public static func == (a: Self, b: Self) -> Bool { a.goal == b.goal && a.horizon == b.horizon }

    /// A goal drawn from `stream`: two uniform draws in [−0.5, 0.5).
    public static func drawGoal(_ stream: inout RandomStream) -> (x: Double, y: Double) {
        (stream.uniform(-goalRange, goalRange), stream.uniform(-goalRange, goalRange))
    }

    /// The start state.
    public static let start = (x: 0.0, y: 0.0)

    /// One transition: the next position, its reward (−distance to the goal) and whether the
    /// episode ends there (the agent is within 0.01 of the goal in both coordinates).
    public func step(from p: (x: Double, y: Double), action: (Double, Double)) -> (next: (x: Double, y: Double), reward: Double, done: Bool) {
        func clip(_ v: Double) -> Double { Swift.min(Swift.max(v * Self.actionBound, -Self.actionBound), Self.actionBound) }
        let next = (x: p.x + clip(action.0), y: p.y + clip(action.1))
        let dx = next.x - goal.x, dy = next.y - goal.y
        return (next, -(dx * dx + dy * dy).squareRoot(), Swift.abs(dx) < 0.01 && Swift.abs(dy) < 0.01)
    }
}
