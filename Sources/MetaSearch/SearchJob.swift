import Foundation
import MetaCluster
import MetaRuntime

/// A search as a cluster job (``MetaCluster/ClusterJob``): what a worker builds from the job the
/// coordinator sends, and the wire form of its work items.
///
/// - **Job text**: the line ``marker``, a line `# seed S` (the search seed after any `--seed`),
///   then `search.yaml` as written. A worker rebuilds the ``SearchConfiguration`` from it.
/// - **Round**: one batch of candidates (``CandidateDispatcher/nextBatch()``), work code
///   ``work``; item k is candidate k of the payload.
/// - **Payload**: ``valuesPerItem`` values per candidate: method (0 evolution, 1 random), index,
///   blocks, filters, kernel, then the positions of its downsampling, normalization and learner
///   in the space's lists, inner steps, inner learning rate, outer learning rate. The genome
///   travels whole, so a worker needs no population; it refuses a genome outside the space.
/// - **Answer**: ``scalarsPerItem`` scalars per candidate: fitness, its 95 % CI half-width, the
///   parameter count, the wall seconds (``CandidateTraining/run(_:method:index:genome:)``).
public struct SearchJob: ClusterJob {
    public static let marker = "# metatrain search job"
    /// "Train a search candidate".
    public static let work: UInt16 = 0x5345
    public static let valuesPerItem = 11, scalarsPerItem = 4

    public let configuration: SearchConfiguration

    public init(configuration: SearchConfiguration) { self.configuration = configuration }

    /// The kind workers register (`metatrain worker` does).
    public static let kind = ClusterJobKind(marker: marker) { text in try SearchJob(text: text) }

    /// The job's text for `search` (whose file text is `text`).
    public static func text(_ search: SearchConfiguration, configurationText text: String) -> String {
        "\(marker)\n# seed \(search.seed)\n" + text
    }

    /// Rebuilds the search from ``text(_:configurationText:)``.
    /// - Throws: ``SearchError`` when the text is not a search job or its configuration does not parse.
    public init(text: String) throws {
        let lines = text.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
        guard lines.count == 3, lines[0] == Self.marker, lines[1].hasPrefix("# seed "),
              let seed = UInt64(lines[1].dropFirst("# seed ".count)) else {
            throw SearchError("the job is not a search job (expected '\(Self.marker)' and '# seed S' lines)")
        }
        var c = try SearchConfigFile.parse(String(lines[2]))
        c.seed = seed
        configuration = c
    }

    /// The job message a coordinator sends, and the most items of one round (every method's
    /// candidates of one batch).
    public static func message(_ search: SearchConfiguration, configurationText: String) -> (job: JobMessage, maxItems: Int) {
        let items = max(1, search.methods.count * max(1, search.evolution.inFlight))
        let bytes = WireCodec.maxMessageBytes(parameterBytes: 0, tasks: items, payloadValues: items * valuesPerItem,
                                              scalarsPerTask: scalarsPerItem)
        return (JobMessage(configurationYAML: text(search, configurationText: configurationText), maxMessageBytes: UInt64(bytes)), items)
    }

    /// The payload of a round training `items`.
    public static func payload(_ items: [CandidateDispatcher.Item], space: SearchSpace) -> [Double] {
        items.flatMap { item -> [Double] in
            let g = item.genome
            func position(_ list: [String], _ value: String) -> Double { Double(list.firstIndex(of: value) ?? -1) }
            return [item.method == .evolution ? 0 : 1, Double(item.index), Double(g.blocks), Double(g.filters), Double(g.kernel),
                    position(space.downsampling, g.downsampling), position(space.normalization, g.normalization),
                    position(space.learners, g.learner), Double(g.innerSteps), g.innerLearningRate, g.outerLearningRate]
        }
    }

    /// Item `k` of a payload.
    /// - Throws: ``SearchError`` when the values are not a candidate of this search's space.
    public func item(_ k: Int, of payload: [Double]) throws -> CandidateDispatcher.Item {
        let n = Self.valuesPerItem, space = configuration.space
        guard k >= 0, (k + 1) * n <= payload.count else {
            throw SearchError("search work: item \(k) is beyond the payload of \(payload.count / n) candidates")
        }
        let v = Array(payload[(k * n)..<((k + 1) * n)])
        func integer(_ x: Double) -> Int? { x >= 0 && x <= 1e9 && x.rounded() == x ? Int(x) : nil }
        func choice(_ list: [String], _ x: Double) -> String? { integer(x).flatMap { $0 < list.count ? list[$0] : nil } }
        guard let m = integer(v[0]), m <= 1, let index = integer(v[1]), index < configuration.candidates,
              let blocks = integer(v[2]), let filters = integer(v[3]), let kernel = integer(v[4]),
              let down = choice(space.downsampling, v[5]), let norm = choice(space.normalization, v[6]),
              let learner = choice(space.learners, v[7]), let steps = integer(v[8])
        else { throw SearchError("search work: candidate \(k) of the payload is not a candidate of this search") }
        let genome = Genome(blocks: blocks, filters: filters, kernel: kernel, downsampling: down, normalization: norm, learner: learner,
                            innerSteps: steps, innerLearningRate: v[9], outerLearningRate: v[10])
        guard space.contains(genome) else {
            throw SearchError("search work: candidate \(k) of the payload is outside the search space")
        }
        return CandidateDispatcher.Item(method: m == 0 ? .evolution : .random, index: index, genome: genome)
    }

    /// Trains the assignment's candidates, one after another.
    public func answers(_ assignment: AssignmentMessage) throws -> [[Double]] {
        guard assignment.work == Self.work else { throw SearchError("search work: unknown work code \(assignment.work)") }
        return try assignment.taskIndices.map { k in
            let item = try item(Int(k), of: assignment.payload)
            let r = try CandidateTraining.run(configuration, method: item.method, index: item.index, genome: item.genome)
            return Self.scalars(r)
        }
    }

    /// The range of each answer scalar (fitness, interval, parameter count, seconds): the
    /// coordinator rejects an answer outside them and has the candidate trained elsewhere.
    public static let scalarBounds: [ClosedRange<Double>] = [0...1, 0...1, 0...9e15, 0...1e9]

    /// A record's answer.
    public static func scalars(_ r: CandidateRecord) -> [Double] { [r.fitness, r.ci95, Double(r.parameters), r.seconds] }

    /// The record of `item` from a worker's answer.
    /// - Throws: ``SearchError`` when the answer is outside ``scalarBounds`` (the coordinator
    ///   rejects such answers before they get here).
    public static func record(_ item: CandidateDispatcher.Item, scalars s: [Double]) throws -> CandidateRecord {
        guard s.count == scalarsPerItem, zip(s, scalarBounds).allSatisfy({ $1.contains($0) }) else {
            throw SearchError("search: a worker's answer for \(item.method.rawValue) candidate \(item.index) is not a candidate's "
                              + "result (\(s)); is every worker of this build?")
        }
        return CandidateRecord(method: item.method, index: item.index, genome: item.genome, fitness: s[0], ci95: s[1],
                               parameters: Int(s[2].rounded()), seconds: s[3])
    }
}
