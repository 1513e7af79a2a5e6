import MetaTensor

/// What a task asks the model to predict.
public enum Targets<S: TensorScalar>: Sendable {
    /// Real-valued targets, compared by mean squared error.
    case regression(Tensor<S>)
    /// Class labels in 0..<ways, compared by cross-entropy.
    case classification([Int])

    public var count: Int {
        switch self {
        case let .regression(t): return t.shape[0]
        case let .classification(l): return l.count
        }
    }
}

/// One few-shot task: a support set to adapt on and a query set to evaluate the adaptation.
public struct Task<S: TensorScalar>: Sendable {
    public var supportInputs: Tensor<S>
    public var supportTargets: Targets<S>
    public var queryInputs: Tensor<S>
    public var queryTargets: Targets<S>

    public init(supportInputs: Tensor<S>, supportTargets: Targets<S>, queryInputs: Tensor<S>, queryTargets: Targets<S>) {
        require(supportInputs.shape[0] == supportTargets.count && queryInputs.shape[0] == queryTargets.count,
                     "task: inputs and targets disagree in count")
        self.supportInputs = supportInputs; self.supportTargets = supportTargets
        self.queryInputs = queryInputs; self.queryTargets = queryTargets
    }
}

/// How a task's examples are laid out.
public enum TaskShape: String, Sendable, Equatable {
    /// A support set to adapt on and a query set to score the adaptation.
    case supportQuery = "support/query"
    /// One ordered sequence (``SequenceEpisode``): the support set holds its steps in order,
    /// one row per step, and the query set is empty.
    case sequence
    /// An environment to act in (reinforcement learning): the support set's single row holds
    /// the task's parameters (a navigation goal), its target the key of the task's episodes;
    /// the query set repeats them. Learners sample their own episodes.
    case environment
    /// A mini-batch of labelled examples over one fixed set of classes (labels global to the
    /// data set, no support/query split; the query set repeats the support): pretraining data
    /// for learners that fit one head to every class, never a few-shot task.
    case classBatch = "class-batch"

    /// Whether its tasks are labelled examples (inputs with class or regression targets) that a
    /// network maps to outputs: support/query tasks and class batches.
    public var holdsLabelledExamples: Bool { self == .supportQuery || self == .classBatch }
}

/// A distribution over tasks from which any task can be rebuilt from its coordinates.
public protocol TaskFamily: Sendable {
    /// The task with index `task` of meta-iteration `iteration` under `seed`: a pure function
    /// of its arguments (the same task in every process).
    func task<S: TensorScalar>(seed: UInt64, iteration: UInt64, index: UInt32, split: TaskSplit, as: S.Type) -> Task<S>
    /// How its tasks are laid out; support/query unless the family says otherwise.
    var shape: TaskShape { get }
    /// The content digest of the data set its tasks come from (``OmniglotDataset/contentDigest``);
    /// nil for families that read no data set.
    var contentDigest: String? { get }
}

extension TaskFamily {
    public var shape: TaskShape { .supportQuery }
    public var contentDigest: String? { nil }
}

/// Which part of a data set tasks are drawn from.
public enum TaskSplit: String, Sendable, CaseIterable {
    case train, validation, test
}
