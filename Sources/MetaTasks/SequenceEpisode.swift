import MetaTensor

/// One episode of online classification as a sequence (Santoro et al., ICML 2016, §4.1):
/// at step t the learner sees image x_t together with the correct label of step t − 1, and
/// must predict the label of x_t.
///
/// `inputs [T, pixels + classes]`: row t is the flattened image of step t followed by the
/// one-hot label of step t − 1 (all zeros at t = 0). `targets [T]`: the label of each step.
/// `presentations [T]`: for each step, how many images of its class have been shown up to
/// and including it (1 at a class's first appearance) — the x-axis of the paper's Table 1.
public struct SequenceEpisode<S: TensorScalar>: Sendable {
    public let inputs: Tensor<S>
    public let targets: [Int]
    public let presentations: [Int]
    public let classes: Int

    /// Builds the sequence from images `[T, pixels]` (already in presentation order) and
    /// their labels in `0..<classes`.
    public init(images: Tensor<S>, labels: [Int], classes: Int) {
        require(images.rank == 2 && images.shape[0] == labels.count,
                "sequence episode: images \(images.shape) for \(labels.count) labels")
        require(labels.allSatisfy { (0..<classes).contains($0) }, "sequence episode: labels outside 0..<\(classes)")
        let (steps, pixels) = (images.shape[0], images.shape[1]), width = pixels + classes
        let source = images.scalars
        inputs = Tensor(shape: [steps, width]) { out, _ in
            for t in 0..<steps {
                for j in 0..<width { out[t * width + j] = 0 }
                for j in 0..<pixels { out[t * width + j] = source[t * pixels + j] }
                if t > 0 { out[t * width + pixels + labels[t - 1]] = 1 }
            }
        }
        presentations = Self.presentations(of: labels, classes: classes)
        targets = labels
        self.classes = classes
    }

    public var steps: Int { targets.count }
    /// The width of one step's input: pixels + classes.
    public var inputWidth: Int { inputs.shape[1] }

    /// The episode as a ``Task`` of shape ``TaskShape/sequence``: the steps' inputs and labels
    /// as the support set, in order, and an empty query set.
    public var task: Task<S> {
        Task(supportInputs: inputs, supportTargets: .classification(targets),
             queryInputs: Tensor(shape: [0, inputWidth], scalars: []), queryTargets: .classification([]))
    }

    /// The episode a sequence-shaped task holds (``task``): the same inputs, targets and
    /// presentation counts.
    public init(task: Task<S>, classes: Int) {
        guard case let .classification(labels) = task.supportTargets else {
            fatalError("a sequence episode has class labels")
        }
        require(task.supportInputs.rank == 2 && task.supportInputs.shape[1] > classes,
                "sequence episode: inputs \(task.supportInputs.shape) for \(classes) classes")
        inputs = task.supportInputs
        targets = labels
        presentations = Self.presentations(of: labels, classes: classes)
        self.classes = classes
    }

    /// For each step, how many images of its class have been shown up to and including it.
    static func presentations(of labels: [Int], classes: Int) -> [Int] {
        var seen = [Int](repeating: 0, count: classes)
        return labels.map { seen[$0] += 1; return seen[$0] }
    }
}
