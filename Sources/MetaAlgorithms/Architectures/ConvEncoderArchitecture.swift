import MetaNN

/// A convolutional encoder with a linear head, every design choice a key: `blocks` (of
/// convolution, optional batch norm, ReLU), `filters` per block, the `kernel` side (odd,
/// padded to keep the map's size), `downsampling` by stride-2 convolutions or 2×2 max-pooling,
/// `normalization` (`batch-statistics` or `none`); the output is averaged over the remaining
/// positions, so any depth fits any image side. The defaults are the MAML Omniglot CNN
/// (``OmniglotCNNArchitecture``: four strided 3×3 blocks of 64 filters with batch norm).
/// This is the space that `metatrain search` explores (``ConvNet`` builds it).
public struct ConvEncoderArchitecture: ArchitectureSpec {
    /// How a block normalises: with batch statistics (``BatchNormMode/batchStatistics``) or not at all.
    public enum Normalization: String, Sendable, CaseIterable { case batchStatistics = "batch-statistics", none }

    public var blocks: Int, filters: Int, kernel: Int
    public var downsampling: ConvNet.Downsampling, normalization: Normalization
    public var ways: Int

    public init(blocks: Int = 4, filters: Int = 64, kernel: Int = 3, downsampling: ConvNet.Downsampling = .strided,
                normalization: Normalization = .batchStatistics, ways: Int) {
        self.blocks = blocks; self.filters = filters; self.kernel = kernel
        self.downsampling = downsampling; self.normalization = normalization; self.ways = ways
    }

    public static let name = "conv-encoder"
    public static let keys = ["blocks", "filters", "kernel", "downsampling", "normalization"]
    /// `model.blocks`.
    public static let blockRange: ClosedRange<Int> = 1...8
    /// `model.kernel` (odd values only).
    public static let kernelRange: ClosedRange<Int> = 1...7

    public static func read(_ section: any ConfigSection, over base: RunConfiguration.Architecture?,
                            tasks: RunConfiguration.Family) throws -> ConvEncoderArchitecture {
        let old = base?.as(Self.self) ?? ConvEncoderArchitecture(ways: 1)
        let kernel = try section.integer("kernel", in: kernelRange) ?? old.kernel
        guard kernel % 2 == 1 else {
            throw ConfigurationProblem("config key '\(section.path)kernel': the kernel side must be odd (3, 5, …), got \(kernel)")
        }
        var downsampling = old.downsampling
        if let v = try section.string("downsampling") {
            guard let d = ConvNet.Downsampling(rawValue: v) else {
                throw ConfigurationProblem("config key '\(section.path)downsampling': unknown mode '\(v)'; expected strided or max-pool")
            }
            downsampling = d
        }
        var normalization = old.normalization
        if let v = try section.string("normalization") {
            guard let n = Normalization(rawValue: v) else {
                throw ConfigurationProblem("config key '\(section.path)normalization': unknown mode '\(v)'; expected "
                                           + listed(Normalization.allCases.map(\.rawValue)))
            }
            normalization = n
        }
        return ConvEncoderArchitecture(blocks: try section.integer("blocks", in: blockRange) ?? old.blocks,
                                       filters: try section.integer("filters", in: TaskLimits.filters) ?? old.filters,
                                       kernel: kernel, downsampling: downsampling, normalization: normalization,
                                       ways: tasks.spec.classes ?? 1)
    }

    public var entries: [(key: String, value: ConfigValue)] {
        [("blocks", .integer(blocks)), ("filters", .integer(filters)), ("kernel", .integer(kernel)),
         ("downsampling", .string(downsampling.rawValue)), ("normalization", .string(normalization.rawValue))]
    }
    public func fitted(to tasks: RunConfiguration.Family) -> ConvEncoderArchitecture {
        var a = self
        a.ways = tasks.spec.classes ?? 1
        return a
    }
    public var model: any Model {
        ConvNet(inChannels: 1, imageSize: 28, filters: filters, ways: ways, downsampling: downsampling, pooling: .spatialMean,
                blocks: blocks, kernelSize: kernel, batchNorm: normalization == .batchStatistics)
    }
    public func accepts(_ tasks: RunConfiguration.Family) -> Bool { tasks.spec.imageSide != nil && tasks.spec.shape.holdsLabelledExamples }
    public var headClasses: Int? { ways }
}

extension RunConfiguration.Architecture {
    /// The configurable convolutional encoder (``ConvEncoderArchitecture``).
    public static func convEncoder(blocks: Int = 4, filters: Int = 64, kernel: Int = 3, downsampling: ConvNet.Downsampling = .strided,
                                   normalization: ConvEncoderArchitecture.Normalization = .batchStatistics, ways: Int) -> Self {
        Self(ConvEncoderArchitecture(blocks: blocks, filters: filters, kernel: kernel, downsampling: downsampling,
                                     normalization: normalization, ways: ways))
    }
}
