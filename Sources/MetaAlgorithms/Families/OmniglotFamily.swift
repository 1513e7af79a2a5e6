import MetaTasks

/// Omniglot N-way K-shot classification with `queries` query images per class, from the
/// official archives in this process's data folder (28×28, the 90° rotations of the MAML paper
/// as extra classes; ``OmniglotTasks``). The data is named by its content digest, never by its
/// folder (``OmniglotDataPin``).
public struct OmniglotFamily: TaskFamilySpec {
    public var ways: Int, shots: Int, queries: Int
    /// The content digest the data must have (`data_sha256`); nil: not pinned yet.
    public var dataDigest: String?

    public init(ways: Int, shots: Int, queries: Int, dataDigest: String? = nil) {
        self.ways = ways; self.shots = shots; self.queries = queries; self.dataDigest = dataDigest
    }

    public static let name = "omniglot"
    public static let keys = ["ways", "shots", "queries", OmniglotDataPin.key, OmniglotDataPin.folderKey]
    /// Drawings per character in the archives.
    public static let drawings = 20

    public static func read(_ section: any ConfigSection, over base: RunConfiguration.Family?) throws -> OmniglotFamily {
        let f = OmniglotFamily(
            ways: try section.integer("ways", in: TaskLimits.ways) ?? base?.integer("ways") ?? 5,
            shots: try section.integer("shots", in: TaskLimits.shots) ?? base?.integer("shots") ?? 1,
            queries: try section.integer("queries", in: TaskLimits.queries) ?? base?.integer("queries") ?? 1,
            dataDigest: try OmniglotDataPin.read(section))
        guard f.shots + f.queries <= drawings else {
            throw ConfigurationProblem("config keys '\(section.path)shots' + '\(section.path)queries' = \(f.shots + f.queries): "
                                       + "Omniglot has \(drawings) drawings per character")
        }
        return f
    }

    public var entries: [(key: String, value: ConfigValue)] {
        [("ways", .integer(ways)), ("shots", .integer(shots)), ("queries", .integer(queries))] + OmniglotDataPin.entries(dataDigest)
    }
    public func makeTasks() throws -> any TaskFamily {
        OmniglotTasks(dataset: try OmniglotDataPin.dataset(pinned: dataDigest), ways: ways, shots: shots, queries: queries)
    }
    public func pinned(toData digest: String) -> OmniglotFamily {
        var pinned = self
        pinned.dataDigest = digest
        return pinned
    }
    public var classes: Int? { ways }
    public var imageSide: Int? { 28 }
    public var taskScalars: Int { ways * (shots + queries) * 28 * 28 }
    public func taskScalarsFormula(key: String) -> String { "\(key).ways × (\(key).shots + \(key).queries) × 28²" }
    public func problem(key: String, testing: Bool) -> String? {
        Self.splitProblem(ways: ways, key: key, testing: testing)
    }

    /// An N-way task draws N distinct characters of one split: training from the train split,
    /// validation and test from the smaller validation split.
    static func splitProblem(ways: Int, key: String, testing: Bool) -> String? {
        let sizes = TaskLimits.omniglotSplitSizes
        if !testing, ways > sizes.train {
            return "config key '\(key).ways': \(ways)-way Omniglot tasks need \(ways) characters; the train split has \(sizes.train)"
        }
        if testing, ways > sizes.validation {
            return "config key '\(key).ways': \(ways)-way Omniglot tasks need \(ways) characters; the validation split "
                + "has \(sizes.validation) (set evaluation_tasks.ways for validation and test)"
        }
        return nil
    }
}

extension RunConfiguration.Family {
    /// Omniglot N-way K-shot from this process's data folder.
    public static func omniglot(ways: Int, shots: Int, queries: Int) -> Self {
        Self(OmniglotFamily(ways: ways, shots: shots, queries: queries))
    }
}
