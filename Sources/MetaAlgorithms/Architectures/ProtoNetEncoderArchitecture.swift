import MetaNN

/// The Prototypical Networks embedding (Snell et al. 2017): four blocks of 3×3 convolution
/// (64 filters), batch norm, ReLU and 2×2 max-pooling; 64 features on 28×28. No head.
public struct ProtoNetEncoderArchitecture: ArchitectureSpec {
    public init() {}

    public static let name = "protonet-encoder"
    public static let keys: [String] = []

    public static func read(_ section: any ConfigSection, over base: RunConfiguration.Architecture?,
                            tasks: RunConfiguration.Family) throws -> ProtoNetEncoderArchitecture { ProtoNetEncoderArchitecture() }

    public var entries: [(key: String, value: ConfigValue)] { [] }
    public var model: any Model {
        ConvNet(inChannels: 1, imageSize: 28, filters: 64, ways: 1, downsampling: .maxPool, pooling: .flatten)
    }
    public func accepts(_ tasks: RunConfiguration.Family) -> Bool { tasks.spec.imageSide != nil && tasks.spec.shape.holdsLabelledExamples }

    public func problem(with c: RunConfiguration) -> String? {
        MaxPoolCNNArchitecture.sizeProblem(c, architecture: Self.name)
    }
}

extension RunConfiguration.Architecture {
    /// The Prototypical Networks embedding.
    public static var protoNetEncoder: Self { Self(ProtoNetEncoderArchitecture()) }
}
