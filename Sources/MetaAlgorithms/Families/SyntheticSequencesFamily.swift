import MetaTasks

/// Sequence episodes (``SequenceEpisodes``) of synthetic images (``SyntheticImageTasks``):
/// `ways` classes, `shots` instances of each, `size`×`size` images. The sequence tasks of
/// benchmarks and tests, which need no data set.
public struct SyntheticSequencesFamily: TaskFamilySpec {
    public var ways: Int, shots: Int, size: Int

    public init(ways: Int, shots: Int, size: Int) { self.ways = ways; self.shots = shots; self.size = size }

    public static let name = "synthetic-sequences"
    public static let keys = ["ways", "shots", "size"]

    public static func read(_ section: any ConfigSection, over base: RunConfiguration.Family?) throws -> SyntheticSequencesFamily {
        SyntheticSequencesFamily(
            ways: try section.integer("ways", in: TaskLimits.ways) ?? base?.integer("ways") ?? 5,
            shots: try section.integer("shots", in: TaskLimits.shots) ?? base?.as(Self.self)?.shots ?? 10,
            size: try section.integer("size", in: TaskLimits.sequenceImageSize) ?? base?.integer("size") ?? 20)
    }

    public var entries: [(key: String, value: ConfigValue)] {
        [("ways", .integer(ways)), ("shots", .integer(shots)), ("size", .integer(size))]
    }
    public func makeTasks() throws -> any TaskFamily {
        SequenceEpisodes(source: SyntheticImageTasks(ways: ways, shots: shots, queries: 0, size: size), classes: ways)
    }
    public var shape: TaskShape { .sequence }
    public var classes: Int? { ways }
    public var stepWidth: Int? { size * size + ways }
    public var taskScalars: Int { ways * shots * (size * size + ways) }
    public func taskScalarsFormula(key: String) -> String { "\(key).ways × \(key).shots × (\(key).size² + \(key).ways)" }
}
