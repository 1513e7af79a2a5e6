import MetaNN

/// The MAML paper's Omniglot CNN (``ConvNet/omniglot(ways:)``): four blocks of 3×3 strided
/// convolution (64 filters), batch norm and ReLU, the spatial mean, and a linear head with as
/// many classes as the training tasks have ways.
public struct OmniglotCNNArchitecture: ArchitectureSpec {
    public var ways: Int

    public init(ways: Int) { self.ways = ways }

    public static let name = "omniglot-cnn"
    public static let keys: [String] = []

    public static func read(_ section: any ConfigSection, over base: RunConfiguration.Architecture?,
                            tasks: RunConfiguration.Family) throws -> OmniglotCNNArchitecture {
        OmniglotCNNArchitecture(ways: tasks.spec.classes ?? 1)
    }

    public var entries: [(key: String, value: ConfigValue)] { [] }
    public func fitted(to tasks: RunConfiguration.Family) -> OmniglotCNNArchitecture { OmniglotCNNArchitecture(ways: tasks.spec.classes ?? 1) }
    public var model: any Model { ConvNet.omniglot(ways: ways) }
    public func accepts(_ tasks: RunConfiguration.Family) -> Bool { tasks.spec.imageSide != nil && tasks.spec.shape.holdsLabelledExamples }
    public var headClasses: Int? { ways }
}

extension RunConfiguration.Architecture {
    /// The MAML Omniglot CNN with a `ways`-class head.
    public static func omniglotCNN(ways: Int) -> Self { Self(OmniglotCNNArchitecture(ways: ways)) }
}
