import MetaNN
import MetaRL

/// The MAML paper's policy network for 2-D navigation (``PolicyMLP``): two observations →
/// ReLU hidden layers of the widths in `hidden` (100, 100 in the paper) → two action means;
/// the learner adds the Gaussian's log standard deviation.
public struct PolicyMLPArchitecture: ArchitectureSpec {
    public var hidden: [Int]

    public init(hidden: [Int]) { self.hidden = hidden }

    public static let name = "policy-mlp"
    public static let keys = ["hidden"]

    public static func read(_ section: any ConfigSection, over base: RunConfiguration.Architecture?,
                            tasks: RunConfiguration.Family) throws -> PolicyMLPArchitecture {
        PolicyMLPArchitecture(hidden: try section.integers("hidden", in: TaskLimits.hiddenWidth, count: TaskLimits.hiddenLayers)
                                  ?? base?.as(Self.self)?.hidden ?? [100, 100])
    }

    public var entries: [(key: String, value: ConfigValue)] { [("hidden", .integers(hidden))] }
    public var model: any Model { PolicyMLP(hidden: hidden) }
    public func accepts(_ tasks: RunConfiguration.Family) -> Bool { tasks.as(NavigationFamily.self) != nil }

    public func problem(with c: RunConfiguration) -> String? {
        let sizes = [2] + hidden + [2]
        let count = zip(sizes, sizes.dropFirst()).reduce(0) { $0 + ($1.0 + 1) * $1.1 }
        if count > TaskLimits.parameterBudget {
            return "config key 'model.hidden': \(hidden) gives \(count) parameters, more than \(TaskLimits.parameterBudget)"
        }
        return nil
    }
}

extension RunConfiguration.Architecture {
    /// The navigation policy with hidden layers of these widths.
    public static func policyMLP(hidden: [Int]) -> Self { Self(PolicyMLPArchitecture(hidden: hidden)) }
}
