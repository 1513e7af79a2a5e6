import MetaNN

/// The four-block max-pool network of Vinyals et al. (2016) as Ravi & Larochelle (2017) use
/// it for their learner: blocks of 3×3 convolution (`filters`, 32 in that paper), batch norm,
/// ReLU and 2×2 max-pooling, flattened into a linear head with as many classes as the tasks
/// have ways. On 28×28 images the maps go 28 → 14 → 7 → 3 → 1, so the head sees `filters`
/// features.
public struct MaxPoolCNNArchitecture: ArchitectureSpec {
    public var filters: Int, ways: Int, side: Int

    public init(filters: Int = 32, ways: Int, side: Int = 28) { self.filters = filters; self.ways = ways; self.side = side }

    public static let name = "maxpool-cnn"
    public static let keys = ["filters"]

    public static func read(_ section: any ConfigSection, over base: RunConfiguration.Architecture?,
                            tasks: RunConfiguration.Family) throws -> MaxPoolCNNArchitecture {
        MaxPoolCNNArchitecture(filters: try section.integer("filters", in: TaskLimits.filters) ?? base?.as(Self.self)?.filters ?? 32,
                               ways: tasks.spec.classes ?? 1, side: tasks.spec.imageSide ?? 28)
    }

    public var entries: [(key: String, value: ConfigValue)] { [("filters", .integer(filters))] }
    public func fitted(to tasks: RunConfiguration.Family) -> MaxPoolCNNArchitecture {
        MaxPoolCNNArchitecture(filters: filters, ways: tasks.spec.classes ?? 1, side: tasks.spec.imageSide ?? 28)
    }
    public var model: any Model {
        ConvNet(inChannels: 1, imageSize: side, filters: filters, ways: ways, downsampling: .maxPool, pooling: .flatten)
    }
    public func accepts(_ tasks: RunConfiguration.Family) -> Bool { tasks.spec.imageSide != nil && tasks.spec.shape.holdsLabelledExamples }
    public var headClasses: Int? { ways }

    public func problem(with c: RunConfiguration) -> String? {
        if let e = c.evaluationFamily, e.spec.imageSide != side {
            return "config key 'evaluation_tasks': \(Self.name) is sized for the training tasks' \(side)-pixel images"
        }
        return Self.sizeProblem(c, architecture: Self.name)
    }

    /// Four 2×2 max-pools need images of at least 16 pixels (below, a pool meets a 1×1 map).
    static func sizeProblem(_ c: RunConfiguration, architecture: String) -> String? {
        for (family, key) in [(c.family, "tasks")] + (c.evaluationFamily.map { [($0, "evaluation_tasks")] } ?? []) {
            if let side = family.spec.imageSide, side < 16 {
                return "config key '\(key).size': the \(architecture) model halves images four times, "
                    + "so it needs at least 16 pixels, got \(side)"
            }
        }
        return nil
    }
}

extension RunConfiguration.Architecture {
    /// The max-pool CNN with `filters` filters and a `ways`-class head, for images of side `side`.
    public static func maxPoolCNN(filters: Int = 32, ways: Int, side: Int = 28) -> Self {
        Self(MaxPoolCNNArchitecture(filters: filters, ways: ways, side: side))
    }
}
