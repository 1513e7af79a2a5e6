import MetaNN

/// The MAML paper's sinusoid network: a multilayer perceptron with ReLU hidden layers of the
/// widths in `hidden` (40, 40 in the paper), one input and one output (``SineMLP``).
public struct SineMLPArchitecture: ArchitectureSpec {
    public var hidden: [Int]

    public init(hidden: [Int]) { self.hidden = hidden }

    public static let name = "sine-mlp"
    public static let keys = ["hidden"]

    public static func read(_ section: any ConfigSection, over base: RunConfiguration.Architecture?,
                            tasks: RunConfiguration.Family) throws -> SineMLPArchitecture {
        SineMLPArchitecture(hidden: try section.integers("hidden", in: TaskLimits.hiddenWidth, count: TaskLimits.hiddenLayers)
                                ?? base?.as(Self.self)?.hidden ?? [40, 40])
    }

    public var entries: [(key: String, value: ConfigValue)] { [("hidden", .integers(hidden))] }
    public var model: any Model { SineMLP(hidden: hidden) }
    /// The 1-D regression families: sinusoids and ambiguous (sine or line) tasks.
    public func accepts(_ tasks: RunConfiguration.Family) -> Bool {
        tasks.as(SinusoidFamily.self) != nil || tasks.as(AmbiguousFamily.self) != nil
    }

    public func problem(with c: RunConfiguration) -> String? {
        // Batched MAML on 1-D regression stacks the meta-batch: its activations are meta_batch × points × width.
        if accepts(c.family) {
            let activations = c.metaBatchSize * c.family.spec.taskScalars * (hidden.max() ?? 1)
            if activations > TaskLimits.iterationScalarBudget {
                return "config keys 'meta_batch' × ('tasks.shots' + 'tasks.queries') × the widest 'model.hidden' layer = "
                    + "\(activations) activations per iteration, more than \(TaskLimits.iterationScalarBudget)"
            }
        }
        let sizes = [1] + hidden + [1]
        let count = zip(sizes, sizes.dropFirst()).reduce(0) { $0 + ($1.0 + 1) * $1.1 }
        if count > TaskLimits.parameterBudget {
            return "config key 'model.hidden': \(hidden) gives \(count) parameters, more than \(TaskLimits.parameterBudget)"
        }
        return nil
    }
}

extension RunConfiguration.Architecture {
    /// The sinusoid MLP with hidden layers of these widths.
    public static func sineMLP(hidden: [Int]) -> Self { Self(SineMLPArchitecture(hidden: hidden)) }
}
