import MetaTensor
import MetaRandom

/// N-way K-shot classification on Omniglot (Lake et al. 2015), as in Vinyals et al. 2016 and
/// Finn et al. 2017 (MAML, §5.2), over the characters of one part of an ``OmniglotSplit``.
///
/// A task is a pure function of (seed, iteration, index, split): every draw comes from the
/// ``RandomStream`` keyed by those coordinates and the purpose `omniglot-<split>`, in this
/// order (the order is part of the contract; changing it changes every task):
/// 1. `ways` distinct characters of the split, by a partial Fisher–Yates shuffle of the
///    split's character list: the k-th one drawn gets label k, so labels 0..<ways are
///    assigned to characters in a random order per task;
/// 2. for each class in label order: its rotation, a number of counter-clockwise quarter
///    turns in 0..<4 drawn uniformly (only when `rotations` is on; 0 otherwise), then
///    `shots + queries` distinct drawings of the character's 20 (partial Fisher–Yates): the
///    first `shots` form the support set, the rest the query set, so support and query
///    never share a drawing.
///
/// Rotation augmentation (Santoro et al. 2016, used by MAML's code and Vinyals et al.): each
/// character in each of the rotations 0°, 90°, 180°, 270° is a distinct class. Characters
/// are drawn first and a rotation per drawn character second, so a task never holds the
/// same character twice (in two rotations); all images of a class share its rotation. It
/// applies to every split when on, as in MAML's code.
///
/// Inputs are `[ways × shots, 1, 28, 28]` (support) and `[ways × queries, 1, 28, 28]` (query)
/// with values `byte / 255` in [0, 1] (ink high, background 0; see ``OmniglotDataset``),
/// class-major: the images of label 0 first, then label 1, and so on; targets are the
/// labels as `.classification`.
public struct OmniglotTasks: TaskFamily {
    /// The characters, drawings and rotations one task is made of.
    public struct Episode: Sendable, Equatable {
        /// One class of a task; its label is its position in ``Episode/classes``.
        public struct Class: Sendable, Equatable {
            /// Index into ``OmniglotDataset/characters``.
            public let character: Int
            /// Counter-clockwise quarter turns applied to every image of the class (0..<4).
            public let quarterTurns: Int
            /// The drawings (0..<20) of the support set, in order.
            public let supportDrawings: [Int]
            /// The drawings (0..<20) of the query set, in order; disjoint from the support's.
            public let queryDrawings: [Int]
        }
        public let classes: [Class]
    }

    public let dataset: OmniglotDataset
    public let ways: Int, shots: Int, queries: Int
    /// Whether each class is a character in one of four rotations (MAML's augmentation).
    public let rotations: Bool

    /// Tasks of `ways` classes with `shots` support and `queries` query images per class.
    /// Needs `shots + queries ≤ 20` and `ways` no larger than any split used.
    /// The data set's ``OmniglotDataset/contentDigest``.
    public var contentDigest: String? { dataset.contentDigest }

    public init(dataset: OmniglotDataset, ways: Int, shots: Int, queries: Int, rotations: Bool = true) {
        require(ways >= 1 && shots >= 1 && queries >= 0, "Omniglot tasks need ways ≥ 1, shots ≥ 1, queries ≥ 0")
        require(shots + queries <= OmniglotDataset.drawingsPerCharacter,
                     "Omniglot has \(OmniglotDataset.drawingsPerCharacter) drawings per character: shots + queries = \(shots + queries) is too many")
        self.dataset = dataset; self.ways = ways; self.shots = shots; self.queries = queries; self.rotations = rotations
    }

    /// The description of the task with these coordinates (what ``task(seed:iteration:index:split:as:)`` builds).
    public func episode(seed: UInt64, iteration: UInt64, index: UInt32, split: TaskSplit) -> Episode {
        let pool = dataset.characterIndices(in: split)
        require(ways <= pool.count, "\(ways)-way tasks need \(ways) characters; the \(split.rawValue) split has \(pool.count)")
        var stream = RandomStream(seed: seed, iteration: iteration, task: index,
                                  purpose: RandomPurpose("omniglot-\(split.rawValue)"))
        let chosen = stream.sample(ways, from: pool.count)
        let classes = chosen.map { position -> Episode.Class in
            let turns = rotations ? stream.nextInt(below: 4) : 0
            let drawings = stream.sample(shots + queries, from: OmniglotDataset.drawingsPerCharacter)
            return Episode.Class(character: pool[position], quarterTurns: turns,
                                 supportDrawings: Array(drawings.prefix(shots)), queryDrawings: Array(drawings.dropFirst(shots)))
        }
        return Episode(classes: classes)
    }

    public func task<S: TensorScalar>(seed: UInt64, iteration: UInt64, index: UInt32, split: TaskSplit, as: S.Type = S.self) -> Task<S> {
        let episode = episode(seed: seed, iteration: iteration, index: index, split: split)
        let scale: [S] = Self.inputScale()
        let pixels = OmniglotDataset.pixelsPerImage, side = OmniglotDataset.side
        func images(_ drawings: KeyPath<Episode.Class, [Int]>, perClass: Int) -> (Tensor<S>, [Int]) {
            let n = ways * perClass
            let tensor = Tensor<S>(shape: [n, 1, side, side]) { out, _ in
                for (label, cls) in episode.classes.enumerated() {
                    for (k, drawing) in cls[keyPath: drawings].enumerated() {
                        let target = out + (label * perClass + k) * pixels
                        dataset.withImage(character: cls.character, drawing: drawing) { image in
                            Self.rotate(image, quarterTurns: cls.quarterTurns, side: side) { target[$0] = scale[Int($1)] }
                        }
                    }
                }
            }
            return (tensor, (0..<n).map { $0 / perClass })
        }
        let (sx, sy) = images(\.supportDrawings, perClass: shots)
        let (qx, qy) = images(\.queryDrawings, perClass: queries)
        return Task(supportInputs: sx, supportTargets: .classification(sy), queryInputs: qx, queryTargets: .classification(qy))
    }

    /// The input value of each ink byte 0…255: `byte / 255`, in [0, 1].
    public static func inputScale<S: TensorScalar>(as: S.Type = S.self) -> [S] {
        (0...255).map { S(Double($0) / 255) }
    }

    /// `image` (`side × side`, row-major) turned counter-clockwise by `quarterTurns` × 90°
    /// (as numpy's `rot90` and TensorFlow's `image.rot90`): output pixel (r, c) is input
    /// pixel (c, side−1−r) for one turn. Four turns give the image back.
    public static func rotated<T>(_ image: [T], quarterTurns: Int, side: Int) -> [T] {
        require(image.count == side * side, "rotated: expected \(side)×\(side) values, got \(image.count)")
        var out = image
        image.withUnsafeBufferPointer { source in
            rotate(source, quarterTurns: quarterTurns, side: side) { out[$0] = $1 }
        }
        return out
    }

    /// Calls `write(outputIndex, value)` for every pixel of the rotated image.
    @inline(__always)
    private static func rotate<T>(_ image: UnsafeBufferPointer<T>, quarterTurns: Int, side n: Int, _ write: (Int, T) -> Void) {
        switch ((quarterTurns % 4) + 4) % 4 {
        case 0: for i in 0..<(n * n) { write(i, image[i]) }
        case 1: for r in 0..<n { for c in 0..<n { write(r * n + c, image[c * n + (n - 1 - r)]) } }
        case 2: for r in 0..<n { for c in 0..<n { write(r * n + c, image[(n - 1 - r) * n + (n - 1 - c)]) } }
        default: for r in 0..<n { for c in 0..<n { write(r * n + c, image[(n - 1 - c) * n + r]) } }
        }
    }
}
