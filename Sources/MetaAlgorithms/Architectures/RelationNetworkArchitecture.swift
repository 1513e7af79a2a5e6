import MetaNN

/// The Relation Network's embedding and relation modules (Sung et al. 2018;
/// ``RelationNetworkModel``): 64 filters, a relation module with a hidden layer of 8, sized
/// for the tasks' images.
public struct RelationNetworkArchitecture: ArchitectureSpec {
    public var side: Int

    public init(side: Int = 28) { self.side = side }

    public static let name = "relation-network"
    public static let keys: [String] = []

    public static func read(_ section: any ConfigSection, over base: RunConfiguration.Architecture?,
                            tasks: RunConfiguration.Family) throws -> RelationNetworkArchitecture {
        RelationNetworkArchitecture(side: tasks.spec.imageSide ?? 28)
    }

    public var entries: [(key: String, value: ConfigValue)] { [] }
    public func fitted(to tasks: RunConfiguration.Family) -> RelationNetworkArchitecture {
        RelationNetworkArchitecture(side: tasks.spec.imageSide ?? 28)
    }
    public var model: any Model { RelationNetworkModel(inChannels: 1, imageSize: side) }
    public func accepts(_ tasks: RunConfiguration.Family) -> Bool { tasks.spec.imageSide != nil && tasks.spec.shape.holdsLabelledExamples }

    public func problem(with c: RunConfiguration) -> String? {
        for (family, key) in [(c.family, "tasks")] + (c.evaluationFamily.map { [($0, "evaluation_tasks")] } ?? []) {
            if let s = family.spec.imageSide, s != side {
                return "config key '\(key)': the relation-network model is sized for \(side)-pixel images, got \(s)"
            }
            if let s = family.spec.imageSide, s < 16 {
                return "config key '\(key).size': the relation-network model needs images of at least 16 pixels, got \(s)"
            }
        }
        return nil
    }
}

extension RunConfiguration.Architecture {
    /// The Relation Network for images of side `side`.
    public static func relationNetwork(side: Int = 28) -> Self { Self(RelationNetworkArchitecture(side: side)) }
}
