/// The coordinator's side of one search method, as a pure state machine over results given in
/// candidate-index order: which candidate can be proposed next (its genome depends only on the
/// results already accepted), and the history so far. No I/O and no clock: a checkpoint is
/// ``records``, and resuming is accepting them again.
///
///     proposal(i) ──► train (any process: CandidateTraining) ──► accept(record i) ──► proposal(i + 1) …
///
/// For a cluster work type with one scalar result per work item: the work items are candidate
/// indices i with `proposal(i) != nil` (up to ``AgingEvolution/inFlight`` of them beyond
/// ``records``); each returns its fitness (and wall time); results are accepted in index order.
public struct SearchState: Sendable, Equatable {
    public let method: SearchMethod
    public let space: SearchSpace
    public let evolution: AgingEvolution
    /// The search seed.
    public let seed: UInt64
    /// Candidates to train.
    public let candidates: Int
    /// The results so far, candidate i at index i.
    public private(set) var records: [CandidateRecord] = []

    public init(method: SearchMethod, space: SearchSpace, evolution: AgingEvolution, seed: UInt64, candidates: Int) {
        self.method = method; self.space = space; self.evolution = evolution; self.seed = seed; self.candidates = candidates
    }

    /// Whether every candidate has a result.
    public var isFinished: Bool { records.count >= candidates }

    /// Candidate `index`'s genome, or nil when it is out of the budget, already accepted, or
    /// depends on results not accepted yet.
    public func proposal(_ index: Int) -> Genome? {
        guard index >= records.count && index < candidates else { return nil }
        switch method {
        case .random: return RandomSearch.genome(index: index, space: space, seed: seed)
        case .evolution:
            guard records.count >= evolution.resultsNeeded(before: index) else { return nil }
            return evolution.genome(index: index, results: records, space: space, seed: seed)
        }
    }

    /// Accepts the next result.
    /// - Throws: ``SearchError`` when it is not the next candidate of this method, or its
    ///   genome is not the one proposed (a result from another search).
    public mutating func accept(_ record: CandidateRecord) throws {
        guard record.method == method && record.index == records.count else {
            throw SearchError("search: expected \(method.rawValue) candidate \(records.count), got \(record.method.rawValue) candidate \(record.index)")
        }
        guard proposal(record.index) == record.genome else {
            throw SearchError("search: \(method.rawValue) candidate \(record.index)'s genome is not the one this search proposes "
                              + "(a record of another search or configuration)")
        }
        records.append(record)
    }

    /// The fittest record so far (the earliest among equals).
    public var best: CandidateRecord? {
        records.reduce(nil) { b, r in b.map { r.fitness > $0.fitness ? r : $0 } ?? r }
    }
}
