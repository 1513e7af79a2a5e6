import MetaTensor
import MetaAutodiff
import MetaRandom

/// The two networks of the Relation Network (Sung, Yang, Zhang, Xiang, Torr & Hospedales,
/// "Learning to Compare: Relation Network for Few-Shot Learning", CVPR 2018): an embedding
/// module f and a relation module g, applied as pure functions of explicit parameters.
///
/// - Embedding f: four blocks of 3×3 convolution (`filters` channels), batch norm with batch
///   statistics and ReLU; 2×2 max-pooling after the first two blocks only. Output
///   `[n, filters, s, s]` feature maps, not vectors.
/// - Relation g: on the channel concatenation of a class's feature map and a query's
///   (`2·filters` channels), two blocks of 3×3 convolution (`filters`), batch norm, ReLU and
///   2×2 max-pooling; then dense `hidden` (ReLU) and dense 1 with a sigmoid: a relation score
///   in (0, 1).
///
/// Sizes for 28×28 Omniglot. The paper gives the filters (64), the pooling pattern, the
/// dense sizes (8 and 1) and the relation module's flattened output, H = 64, but not the
/// padding. Here every convolution has padding 1, so the embedding is 28 → 14 → 7 (64×7×7)
/// and the relation module 7 → 3 → 1, which is the paper's H = 64·1·1; padding 0 in the
/// relation module would shrink 7 → 5 → 2 → 0 and cannot work. The authors' code
/// (floodsung/LearningToCompare_FSL) instead leaves the two pooled embedding blocks
/// unpadded (28 → 26 → 13 → 11 → 5, 64×5×5; relation 5 → 2 → 1), also H = 64;
/// `pooledBlockPadding: 0` selects that variant. The spatial side must survive both
/// relation poolings: `relationSide ≥ 1`, e.g. images of side ≥ 16 with the default padding.
///
/// Departure: weights use this codebase's Glorot-uniform initialiser and zero biases; the
/// authors' code draws convolutions from N(0, 2/(9·out)) and dense weights from N(0, 0.01²)
/// with unit biases. Batch norm uses batch statistics (``BatchNormMode/batchStatistics``),
/// which matches the authors' `momentum=1` batch norm during training.
///
/// 223,441 parameters for ``omniglot()``: embedding 111,936, relation 111,505.
public struct RelationNetworkModel: Model {
    public let inChannels: Int, imageSize: Int, filters: Int, hidden: Int, pooledBlockPadding: Int
    /// Convolution and batch norm of each embedding block, alternating (`embedding.blockN.conv`, `.norm`).
    public let embeddingLayers: [any Layer]
    /// Convolution and batch norm of each relation block, alternating, then the two dense
    /// layers (`relation.blockN.conv`, `.norm`, `relation.hidden`, `relation.output`).
    public let relationLayers: [any Layer]
    /// The side of the embedding's feature maps.
    public let featureSide: Int
    /// The side of the relation module's last pooled map (flattened into the dense layers).
    public let relationSide: Int

    public init(inChannels: Int, imageSize: Int, filters: Int = 64, hidden: Int = 8, pooledBlockPadding: Int = 1) {
        self.inChannels = inChannels; self.imageSize = imageSize; self.filters = filters; self.hidden = hidden
        self.pooledBlockPadding = pooledBlockPadding
        var embedding: [any Layer] = []
        var side = imageSize
        for b in 1...4 {
            let pooled = b <= 2, padding = pooled ? pooledBlockPadding : 1
            embedding.append(Conv2D("embedding.block\(b).conv", inChannels: b == 1 ? inChannels : filters,
                                    outChannels: filters, kernelSize: 3, stride: 1, padding: padding))
            embedding.append(BatchNorm("embedding.block\(b).norm", channels: filters))
            side = side + 2 * padding - 2
            if pooled { side /= 2 }
        }
        featureSide = side
        var relation: [any Layer] = []
        for b in 1...2 {
            relation.append(Conv2D("relation.block\(b).conv", inChannels: b == 1 ? 2 * filters : filters,
                                   outChannels: filters, kernelSize: 3, stride: 1, padding: 1))
            relation.append(BatchNorm("relation.block\(b).norm", channels: filters))
            side /= 2
        }
        relationSide = side
        require(featureSide >= 2 && relationSide >= 1,
                "RelationNetworkModel: \(imageSize)×\(imageSize) images give \(featureSide)×\(featureSide) features, "
                    + "too small for the relation module's two 2×2 poolings")
        relation.append(Dense("relation.hidden", inputs: filters * side * side, outputs: hidden))
        relation.append(Dense("relation.output", inputs: hidden, outputs: 1))
        embeddingLayers = embedding; relationLayers = relation
    }

    /// The paper's Omniglot network: 1×28×28 inputs, 64 filters, hidden 8.
    public static func omniglot() -> RelationNetworkModel { RelationNetworkModel(inChannels: 1, imageSize: 28) }

    /// Every layer, embedding first: their parameters, concatenated, are the model's.
    public var layers: [any Layer] { embeddingLayers + relationLayers }

    /// The embedding f(x): `[n, inChannels, imageSize, imageSize]` → `[n, filters, featureSide, featureSide]`.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func embed<S: TensorScalar>(_ p: Parameters<Variable<S>>, _ x: Variable<S>) -> Variable<S> {
        require(x.rank == 4 && x.shape[1] == inChannels && x.shape[2] == imageSize && x.shape[3] == imageSize,
                "shape error in RelationNetworkModel.embed: input \(x.shape), expected [n, \(inChannels), \(imageSize), \(imageSize)]")
        var h = x
        for (i, b) in stride(from: 0, to: embeddingLayers.count, by: 2).enumerated() {
            h = embeddingLayers[b + 1].apply(p, embeddingLayers[b].apply(p, h)).relu()
            if i < 2 { h = h.maxPool2d(window: 2, stride: 2) }
        }
        return h
    }

    /// Every (query, class) pair as one batch: `classes [W, c, h, w]` and `queries [Q, c, h, w]`
    /// give `[Q·W, 2c, h, w]`, row `q·W + k` the channel concatenation (class first, as in the
    /// paper's C(f(x_i), f(x_j)) with x_i the sample) of class k's and query q's maps.
    ///
    /// Built from broadcasts, one concatenation and reshapes, so its derivatives (of any
    /// order) come from those primitives' rules: the cotangent of each class map is the sum
    /// over queries of its half of the pair cotangents, and the other way round.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func pairs<S: TensorScalar>(classes: Variable<S>, queries: Variable<S>) -> Variable<S> {
        require(classes.rank == 4 && queries.rank == 4 && Array(classes.shape.dropFirst()) == Array(queries.shape.dropFirst()),
                "shape error in RelationNetworkModel.pairs: classes \(classes.shape) vs queries \(queries.shape)")
        let (ways, count) = (classes.shape[0], queries.shape[0])
        let map = Array(classes.shape.dropFirst())
        let grid = [count, ways] + map
        let left = classes.reshaped([1, ways] + map).broadcast(to: grid)
        let right = queries.reshaped([count, 1] + map).broadcast(to: grid)
        return Variable.concatenate([left, right], axis: 2).reshaped([count * ways, 2 * map[0], map[1], map[2]])
    }

    /// The relation module g on a batch of pairs `[P, 2·filters, featureSide, featureSide]`:
    /// scores `[P]` in (0, 1). Batch norm's statistics are those of the whole pair batch.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func relate<S: TensorScalar>(_ p: Parameters<Variable<S>>, pairs x: Variable<S>) -> Variable<S> {
        require(x.rank == 4 && x.shape[1] == 2 * filters && x.shape[2] == featureSide && x.shape[3] == featureSide,
                "shape error in RelationNetworkModel.relate: pairs \(x.shape), expected [P, \(2 * filters), \(featureSide), \(featureSide)]")
        var h = x
        let blocks = relationLayers.count - 2
        for b in stride(from: 0, to: blocks, by: 2) {
            h = relationLayers[b + 1].apply(p, relationLayers[b].apply(p, h)).relu().maxPool2d(window: 2, stride: 2)
        }
        h = relationLayers[blocks].apply(p, h.reshaped([x.shape[0], -1])).relu()
        return relationLayers[blocks + 1].apply(p, h).sigmoid().reshaped([x.shape[0]])
    }

    /// Relation scores `[Q, W]` of every query map against every class map (one pass of g over
    /// all Q·W pairs): entry (q, k) is g(C(classes[k], queries[q])).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func scores<S: TensorScalar>(_ p: Parameters<Variable<S>>, classes: Variable<S>, queries: Variable<S>) -> Variable<S> {
        relate(p, pairs: Self.pairs(classes: classes, queries: queries)).reshaped([queries.shape[0], classes.shape[0]])
    }

    // MARK: Model

    /// The relation module's output layer.
    public var headParameterNames: [String] { ["relation.output.weight", "relation.output.bias"] }

    /// The embedding, flattened: `[n, filters · featureSide²]`. A relation network scores
    /// pairs (``scores(_:classes:queries:)``); as a plain ``Model`` it is its embedding.
    public func features<S: TensorScalar>(_ p: Parameters<Variable<S>>, _ x: Variable<S>) -> Variable<S> {
        let e = embed(p, x)
        return e.reshaped([e.shape[0], e.count / e.shape[0]])
    }

    /// The same as ``features(_:_:)``.
    public func apply<S: TensorScalar>(_ p: Parameters<Variable<S>>, _ x: Variable<S>) -> Variable<S> { features(p, x) }
}
