import MetaTasks

/// Random binary images of Omniglot's shapes, `size`×`size` (``SyntheticImageTasks``): the
/// image tasks of benchmarks and tests, which need no data set.
public struct SyntheticImagesFamily: TaskFamilySpec {
    public var ways: Int, shots: Int, queries: Int, size: Int

    public init(ways: Int, shots: Int, queries: Int, size: Int) {
        self.ways = ways; self.shots = shots; self.queries = queries; self.size = size
    }

    public static let name = "synthetic-images"
    public static let keys = ["ways", "shots", "queries", "size"]

    public static func read(_ section: any ConfigSection, over base: RunConfiguration.Family?) throws -> SyntheticImagesFamily {
        SyntheticImagesFamily(
            ways: try section.integer("ways", in: TaskLimits.ways) ?? base?.integer("ways") ?? 5,
            shots: try section.integer("shots", in: TaskLimits.shots) ?? base?.integer("shots") ?? 1,
            queries: try section.integer("queries", in: TaskLimits.queries) ?? base?.integer("queries") ?? 1,
            size: try section.integer("size", in: TaskLimits.imageSize) ?? base?.integer("size") ?? 28)
    }

    public var entries: [(key: String, value: ConfigValue)] {
        [("ways", .integer(ways)), ("shots", .integer(shots)), ("queries", .integer(queries)), ("size", .integer(size))]
    }
    public func makeTasks() throws -> any TaskFamily {
        SyntheticImageTasks(ways: ways, shots: shots, queries: queries, size: size)
    }
    public var classes: Int? { ways }
    public var imageSide: Int? { size }
    public var taskScalars: Int { ways * (shots + queries) * size * size }
    public func taskScalarsFormula(key: String) -> String { "\(key).ways × (\(key).shots + \(key).queries) × \(key).size²" }
}

extension RunConfiguration.Family {
    /// Synthetic N-way K-shot image tasks of side `size`.
    public static func syntheticImages(ways: Int, shots: Int, queries: Int, size: Int) -> Self {
        Self(SyntheticImagesFamily(ways: ways, shots: shots, queries: queries, size: size))
    }
}
