import MetaTasks

/// Omniglot one-shot classification as sequences (Santoro et al., ICML 2016, §4.1): an
/// episode draws `ways` characters, labels them by a random permutation, and shows `shots`
/// drawings of each (10 in the paper) in one random order, downscaled to `size`×`size` (20 in
/// the paper); step t's input is the image with the label of step t − 1 (``SequenceEpisodes``).
/// Tasks have shape ``TaskShape/sequence``. The data is this process's folder, named by its
/// content digest (``OmniglotDataPin``).
public struct OmniglotSequencesFamily: TaskFamilySpec {
    public var ways: Int, shots: Int, size: Int
    /// The content digest the data must have (`data_sha256`); nil: not pinned yet.
    public var dataDigest: String?

    public init(ways: Int, shots: Int = 10, size: Int = 20, dataDigest: String? = nil) {
        self.ways = ways; self.shots = shots; self.size = size; self.dataDigest = dataDigest
    }

    public static let name = "omniglot-sequences"
    public static let keys = ["ways", "shots", "size", OmniglotDataPin.key, OmniglotDataPin.folderKey]

    public static func read(_ section: any ConfigSection, over base: RunConfiguration.Family?) throws -> OmniglotSequencesFamily {
        let f = OmniglotSequencesFamily(
            ways: try section.integer("ways", in: TaskLimits.ways) ?? base?.integer("ways") ?? 5,
            shots: try section.integer("shots", in: TaskLimits.shots) ?? base?.as(Self.self)?.shots ?? 10,
            size: try section.integer("size", in: TaskLimits.sequenceImageSize) ?? base?.integer("size") ?? 20,
            dataDigest: try OmniglotDataPin.read(section))
        guard f.shots <= OmniglotFamily.drawings else {
            throw ConfigurationProblem("config key '\(section.path)shots' = \(f.shots): Omniglot has \(OmniglotFamily.drawings) "
                                       + "drawings per character")
        }
        guard f.size <= 28 else {
            throw ConfigurationProblem("config key '\(section.path)size' = \(f.size): Omniglot images are 28×28 and are only downscaled")
        }
        return f
    }

    public var entries: [(key: String, value: ConfigValue)] {
        [("ways", .integer(ways)), ("shots", .integer(shots)), ("size", .integer(size))] + OmniglotDataPin.entries(dataDigest)
    }
    public func pinned(toData digest: String) -> OmniglotSequencesFamily {
        var pinned = self
        pinned.dataDigest = digest
        return pinned
    }
    public func makeTasks() throws -> any TaskFamily {
        let source = OmniglotTasks(dataset: try OmniglotDataPin.dataset(pinned: dataDigest), ways: ways, shots: shots, queries: 0)
        return SequenceEpisodes(source: source, classes: ways, side: size)
    }
    public var shape: TaskShape { .sequence }
    public var classes: Int? { ways }
    public var stepWidth: Int? { size * size + ways }
    public var taskScalars: Int { ways * shots * (size * size + ways) }
    public func taskScalarsFormula(key: String) -> String { "\(key).ways × \(key).shots × (\(key).size² + \(key).ways)" }
    public func problem(key: String, testing: Bool) -> String? {
        OmniglotFamily.splitProblem(ways: ways, key: key, testing: testing)
    }
}
