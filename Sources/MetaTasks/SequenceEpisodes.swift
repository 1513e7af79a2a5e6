import MetaTensor
import MetaRandom

/// Sequence episodes (``SequenceEpisode``) drawn from any image classification
/// ``TaskFamily``: a task's support and query images together are the episode's images.
///
/// For the paper's setting (Santoro et al. 2016, §4.1: 5 or 15 classes, 10 instances each,
/// images downscaled to 20 × 20) build the source with `ways` classes, `shots + queries = 10`
/// images per class, and pass `side: 20`. On top of the source's own draws, each episode
///  1. relabels the classes by a random permutation (labels are shuffled per episode, so
///     nothing about a label can be learned across episodes), then
///  2. shows all images in one uniformly random order.
/// Both draws come from the stream keyed by the same coordinates and the purpose
/// `sequence-episode-<split>`, so an episode is a pure function of its coordinates.
///
/// Images are `[n, channels, h, w]`; with `side` set, each channel is area-averaged to
/// `side × side` (``AreaAveraging``) before flattening.
public struct SequenceEpisodes: TaskFamily {
    public let source: any TaskFamily
    public let classes: Int
    public let side: Int?

    /// The source's data set's digest.
    public var contentDigest: String? { source.contentDigest }

    public init(source: any TaskFamily, classes: Int, side: Int? = nil) {
        require(classes >= 1, "sequence episodes need at least one class")
        self.source = source; self.classes = classes; self.side = side
    }

    public func episode<S: TensorScalar>(seed: UInt64, iteration: UInt64, index: UInt32, split: TaskSplit,
                                         as: S.Type = S.self) -> SequenceEpisode<S> {
        let task: Task<S> = source.task(seed: seed, iteration: iteration, index: index, split: split, as: S.self)
        guard case let .classification(supportLabels) = task.supportTargets,
              case let .classification(queryLabels) = task.queryTargets else {
            fatalError("sequence episodes need a classification task family")
        }
        var images = flattened(task.supportInputs)
        if task.queryInputs.shape[0] > 0 { images += flattened(task.queryInputs) }
        let labels = supportLabels + queryLabels
        require(labels.allSatisfy { (0..<classes).contains($0) }, "sequence episodes: source labels outside 0..<\(classes)")
        let pixels = images.count / max(labels.count, 1)

        var stream = RandomStream(seed: seed, iteration: iteration, task: index,
                                  purpose: RandomPurpose("sequence-episode-\(split.rawValue)"))
        var relabel = Array(0..<classes)
        stream.shuffle(&relabel)
        var order = Array(labels.indices)
        stream.shuffle(&order)
        var ordered = [S](repeating: 0, count: images.count)
        for (t, i) in order.enumerated() {
            for j in 0..<pixels { ordered[t * pixels + j] = images[i * pixels + j] }
        }
        return SequenceEpisode(images: Tensor(shape: [labels.count, pixels], scalars: ordered),
                               labels: order.map { relabel[labels[$0]] }, classes: classes)
    }

    /// The episode as a task of shape ``TaskShape/sequence`` (``SequenceEpisode/task``).
    public func task<S: TensorScalar>(seed: UInt64, iteration: UInt64, index: UInt32, split: TaskSplit,
                                      as: S.Type) -> Task<S> {
        episode(seed: seed, iteration: iteration, index: index, split: split, as: S.self).task
    }

    public var shape: TaskShape { .sequence }

    private func flattened<S: TensorScalar>(_ x: Tensor<S>) -> [S] {
        guard let side, x.rank == 4, x.shape[2] != side || x.shape[3] != side else { return x.scalars }
        return AreaAveraging.resized(x, side: side).scalars
    }
}
