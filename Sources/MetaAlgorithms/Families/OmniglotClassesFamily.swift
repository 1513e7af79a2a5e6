import MetaTasks

/// Mini-batches of Omniglot images labelled by their class among all training classes (every
/// training character in each of its four rotations, 4,400 with `omniglot-split-v1`), drawn
/// from keyed streams (``OmniglotClassBatches``): the pretraining data of the whole-class
/// baseline (``BaselineLearner``; Chen et al. 2019). `batch` is the images per task; a
/// meta-batch of such tasks is reduced in task order like every learner's.
///
/// Its tasks are for training only: validation and test are few-shot tasks of another family
/// (`evaluation_tasks`, e.g. `omniglot`), which ``problem(key:testing:)`` asks for. The data is
/// this process's folder, named by its content digest (``OmniglotDataPin``).
public struct OmniglotClassesFamily: TaskFamilySpec {
    public var batch: Int
    /// The content digest the data must have (`data_sha256`); nil: not pinned yet.
    public var dataDigest: String?

    public init(batch: Int, dataDigest: String? = nil) {
        self.batch = batch; self.dataDigest = dataDigest
    }

    public static let name = "omniglot-classes"
    public static let keys = ["batch", OmniglotDataPin.key, OmniglotDataPin.folderKey]

    public static func read(_ section: any ConfigSection, over base: RunConfiguration.Family?) throws -> OmniglotClassesFamily {
        OmniglotClassesFamily(batch: try section.integer("batch", in: TaskLimits.classBatch) ?? base?.integer("batch") ?? 16,
                              dataDigest: try OmniglotDataPin.read(section))
    }

    public var entries: [(key: String, value: ConfigValue)] { [("batch", .integer(batch))] + OmniglotDataPin.entries(dataDigest) }
    public func makeTasks() throws -> any TaskFamily {
        OmniglotClassBatches(dataset: try OmniglotDataPin.dataset(pinned: dataDigest), batch: batch)
    }
    public func pinned(toData digest: String) -> OmniglotClassesFamily {
        var pinned = self
        pinned.dataDigest = digest
        return pinned
    }
    /// Class batches: only learners that train one head over every class take them.
    public var shape: TaskShape { .classBatch }
    /// Every training class: the train split's characters × 4 rotations.
    public var classes: Int? { TaskLimits.omniglotSplitSizes.train * OmniglotClassBatches.rotations }
    public var imageSide: Int? { 28 }
    /// The query set is the support's tensor, so one batch of images.
    public var taskScalars: Int { batch * 28 * 28 }
    public func taskScalarsFormula(key: String) -> String { "\(key).batch × 28²" }
    public func problem(key: String, testing: Bool) -> String? {
        testing ? "config key '\(key).family': \(Self.name) tasks are for pretraining only; set evaluation_tasks to few-shot tasks "
            + "(family: omniglot, ways: 5, shots: 1)" : nil
    }
}

extension RunConfiguration.Family {
    /// Mini-batches of `batch` Omniglot images over every training class.
    public static func omniglotClasses(batch: Int) -> Self { Self(OmniglotClassesFamily(batch: batch)) }
}
