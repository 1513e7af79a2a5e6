import MetaTensor
import MetaAutodiff

/// The four-block convolutional network of the MAML paper and its reference code
/// (Finn et al. 2017; Vinyals et al. 2016): each block is a 3×3 convolution, batch norm with
/// batch statistics, and ReLU; then a linear head.
///
/// - ``omniglot(ways:)``: 64 filters, stride-2 convolutions (padding 1) on 28×28 inputs, the
///   output averaged over the remaining 2×2 positions: 112,261 parameters at 5 ways.
/// - ``miniImageNet(ways:)``: 32 filters, stride-1 convolutions followed by 2×2 max-pooling
///   on 84×84×3 inputs, flattened (32·5·5) into the head.
///
/// The architecture search varies the blocks (`blocks`), the kernel side (`kernelSize`, padded
/// to keep the map's size before downsampling) and whether blocks normalise (`batchNorm`;
/// without it a block is convolution and ReLU). A max-pooling block pools only while its map
/// is at least 2×2, so five blocks fit 28×28 inputs (28 → 14 → 7 → 3 → 1 → 1).
///
/// `batchNormMode` ``BatchNormMode/runningStatistics`` gives each batch norm running
/// statistics, which ``predict(_:_:)`` normalises with (see `ConvNet+RunningStatistics.swift`).
public struct ConvNet: Model {
    public enum Downsampling: String, Sendable { case strided, maxPool = "max-pool" }
    public enum Pooling: String, Sendable { case spatialMean = "spatial-mean", flatten }

    public let inChannels: Int, imageSize: Int, filters: Int, ways: Int
    public let downsampling: Downsampling, pooling: Pooling
    public let blocks: Int, kernelSize: Int, batchNorm: Bool
    /// Where the blocks' batch norm takes its statistics at prediction (``predict(_:_:)``).
    public let batchNormMode: BatchNormMode
    public let layers: [any Layer]

    public init(inChannels: Int, imageSize: Int, filters: Int, ways: Int, downsampling: Downsampling, pooling: Pooling,
                blocks: Int = 4, kernelSize: Int = 3, batchNorm: Bool = true, batchNormMode: BatchNormMode = .batchStatistics) {
        require(kernelSize % 2 == 1, "ConvNet needs an odd kernel side, got \(kernelSize)")
        self.inChannels = inChannels; self.imageSize = imageSize; self.filters = filters; self.ways = ways
        self.downsampling = downsampling; self.pooling = pooling
        self.blocks = blocks; self.kernelSize = kernelSize; self.batchNorm = batchNorm; self.batchNormMode = batchNormMode
        var layers: [any Layer] = []
        var size = imageSize
        let padding = kernelSize / 2
        for b in 1...blocks {
            let stride = downsampling == .strided ? 2 : 1
            layers.append(Conv2D("block\(b).conv", inChannels: b == 1 ? inChannels : filters, outChannels: filters,
                                 kernelSize: kernelSize, stride: stride, padding: padding))
            if batchNorm { layers.append(BatchNorm("block\(b).norm", channels: filters, mode: batchNormMode)) }
            switch downsampling {
            case .strided: size = (size + 2 * padding - kernelSize) / 2 + 1
            case .maxPool: size = size >= 2 ? size / 2 : size
            }
        }
        let features = pooling == .spatialMean ? filters : filters * size * size
        layers.append(Dense("head", inputs: features, outputs: ways))
        self.layers = layers
    }

    /// The Omniglot network of the MAML reference code (28×28, 64 filters, strided).
    public static func omniglot(ways: Int) -> ConvNet {
        ConvNet(inChannels: 1, imageSize: 28, filters: 64, ways: ways, downsampling: .strided, pooling: .spatialMean)
    }

    /// The 84×84 max-pool variant (32 filters), as used for MiniImageNet.
    public static func miniImageNet(ways: Int) -> ConvNet {
        ConvNet(inChannels: 3, imageSize: 84, filters: 32, ways: ways, downsampling: .maxPool, pooling: .flatten)
    }

    public var headParameterNames: [String] { ["head.weight", "head.bias"] }

    /// The features before the head (`[n, features]`), for metric-based learners and ANIL.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func features<S: TensorScalar>(_ p: Parameters<Variable<S>>, _ x: Variable<S>) -> Variable<S> {
        require(x.rank == 4 && x.shape[1] == inChannels,
                     "shape error in ConvNet: input \(x.shape), expected [n, \(inChannels), h, w]")
        return encode(p, x) { norm, h in norm.apply(p, h) }
    }

    /// The blocks and the pooling, with each batch norm computed by `normalize`.
    @inline(__always)
    func encode<S: TensorScalar>(_ p: Parameters<Variable<S>>, _ x: Variable<S>,
                                 normalize: (BatchNorm, Variable<S>) -> Variable<S>) -> Variable<S> {
        var h = x
        let perBlock = batchNorm ? 2 : 1
        for b in 0..<blocks {
            let i = b * perBlock
            h = layers[i].apply(p, h)
            if batchNorm { h = normalize(layers[i + 1] as! BatchNorm, h) }
            h = h.relu()
            if downsampling == .maxPool && h.shape[2] >= 2 { h = h.maxPool2d(window: 2, stride: 2) }
        }
        switch pooling {
        case .spatialMean: return h.mean(alongAxes: [2, 3])
        case .flatten: return h.reshaped([h.shape[0], -1])
        }
    }

    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func apply<S: TensorScalar>(_ p: Parameters<Variable<S>>, _ x: Variable<S>) -> Variable<S> {
        layers[layers.count - 1].apply(p, features(p, x))
    }
}
