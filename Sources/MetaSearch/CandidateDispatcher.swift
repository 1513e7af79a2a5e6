/// Hands out the candidates of a search's methods to trainers, several at once, and accepts
/// their results into the methods' ``SearchState``s in one fixed order whatever order the
/// trainings finish in: a pure state machine (no I/O, no clock) between the search's
/// bookkeeping and whatever trains candidates (this process, or worker processes).
///
/// The fixed order is ``SearchRun/interleaved(_:)``'s: candidate index by index, the methods
/// in configuration order (evolution 0, random 0, evolution 1, …). A result that arrives early
/// waits until every candidate before it in that order is accepted, so the accepted history,
/// and with it every later proposal, is a function of the search configuration alone.
///
///     next() → item ──► train anywhere ──► complete(record) → records accepted now, in order
///                  └──► trainer lost ──► requeue(item) (handed out again by next())
///
/// ``next()`` hands out the first candidate in that order that is neither handed out nor
/// waiting and that its method can propose (an evolution child whose parents' results are not
/// accepted yet is skipped until they are; ``AgingEvolution/inFlight`` bounds how far evolution
/// runs ahead). The caller bounds how many items are out at once.
public struct CandidateDispatcher: Sendable {
    /// One candidate to train.
    public struct Item: Sendable, Equatable, Hashable {
        public var method: SearchMethod
        public var index: Int
        public var genome: Genome

        public init(method: SearchMethod, index: Int, genome: Genome) {
            self.method = method; self.index = index; self.genome = genome
        }
    }

    /// The methods' states, with every accepted result.
    public private(set) var states: [SearchState]
    /// Items handed out and not yet completed or requeued, in the order handed out.
    public private(set) var handedOut: [Item] = []
    /// Finished results waiting for earlier candidates, by position in the fixed order.
    private var waiting: [Int: CandidateRecord] = [:]
    /// Results accepted so far: positions 0..<accepted of the fixed order.
    public private(set) var accepted: Int

    /// Starts from `states` (resumed ones hold a prefix of the fixed order).
    public init(states: [SearchState]) {
        self.states = states
        accepted = states.map(\.records.count).reduce(0, +)
    }

    /// Whether every candidate of every method is accepted.
    public var isFinished: Bool { states.allSatisfy(\.isFinished) }

    var total: Int { (states.map(\.candidates).max() ?? 0) * states.count }

    /// The (method, index) at `position` of the fixed order.
    func slot(_ position: Int) -> (state: Int, index: Int) { (position % states.count, position / states.count) }

    func position(_ method: SearchMethod, _ index: Int) -> Int? {
        states.firstIndex { $0.method == method }.map { index * states.count + $0 }
    }

    /// The next candidate to train, or nil when every remaining one is handed out, waiting, or
    /// depends on results not accepted yet.
    public mutating func next() -> Item? {
        var p = accepted
        while p < total {
            defer { p += 1 }
            let (k, index) = slot(p)
            let method = states[k].method
            guard index < states[k].candidates, waiting[p] == nil,
                  !handedOut.contains(where: { $0.method == method && $0.index == index }),
                  let genome = states[k].proposal(index)
            else { continue }
            let item = Item(method: method, index: index, genome: genome)
            handedOut.append(item)
            return item
        }
        return nil
    }

    /// The rest of the batch (``AgingEvolution/batch(containing:)``) of the first candidate not
    /// accepted yet, every method's candidates of it in the fixed order, all handed out at once:
    /// what a cluster trains in one round. Empty when the search is finished or something is
    /// still handed out. Completing every item (``complete(_:)``, in any order) accepts the whole
    /// batch, after which the next call gives the next batch.
    ///
    /// The accepted history is the one of ``next()`` one at a time: the batch changes only which
    /// candidates train together, not what any candidate is.
    public mutating func nextBatch() -> [Item] {
        guard handedOut.isEmpty, !isFinished, !states.isEmpty else { return [] }
        let range = states[0].evolution.batch(containing: slot(accepted).index)
        var items: [Item] = []
        for p in accepted..<min(total, range.upperBound * states.count) {
            let (k, index) = slot(p)
            guard index < states[k].candidates else { continue }
            guard let genome = states[k].proposal(index) else {
                // Unreachable: a batch's candidates need only results before the batch.
                preconditionFailure("CandidateDispatcher: \(states[k].method.rawValue) candidate \(index) cannot be proposed in its batch")
            }
            items.append(Item(method: states[k].method, index: index, genome: genome))
        }
        handedOut = items
        return items
    }

    /// A handed-out item whose trainer was lost: ``next()`` hands it out again.
    public mutating func requeue(_ item: Item) {
        handedOut.removeAll { $0 == item }
    }

    /// A finished candidate's record. A record of no handed-out item (a duplicate of a
    /// candidate trained twice, or one already accepted) is ignored.
    /// - Returns: the records accepted by this call, in the fixed order (possibly none).
    /// - Throws: ``SearchError`` when the record's genome is not the one its method proposes.
    public mutating func complete(_ record: CandidateRecord) throws -> [CandidateRecord] {
        guard let k = handedOut.firstIndex(where: { $0.method == record.method && $0.index == record.index }),
              let p = position(record.method, record.index)
        else { return [] }
        guard handedOut[k].genome == record.genome else {
            throw SearchError("search: \(record.method.rawValue) candidate \(record.index)'s genome is not the one handed out "
                              + "(a record of another search or configuration)")
        }
        handedOut.remove(at: k)
        waiting[p] = record
        var done: [CandidateRecord] = []
        while let r = waiting.removeValue(forKey: accepted) {
            try states[slot(accepted).state].accept(r)
            done.append(r)
            accepted += 1
        }
        return done
    }
}
