import Testing
import MetaRuntime
import MetaSearch

/// Batches of candidates, as a cluster trains them (one round per batch, B = `in_flight`
/// candidates per method), and the search job's wire form: the history is the one of a search
/// that trains candidates one at a time, whatever order a batch's candidates finish in.
@Suite struct SearchBatchTests {
    @Test(arguments: [(5, 1), (5, 2), (5, 3), (4, 2), (2, 7)])
    func batchesCutTheCandidatesAtThePopulationAndNeedOnlyResultsBeforeThem(population: Int, batch: Int) {
        let evolution = AgingEvolution(population: population, sample: min(2, population), inFlight: batch)
        var next = 0
        while next < 40 {
            let range = evolution.batch(containing: next)
            #expect(range.lowerBound == next, "batches partition the indices")
            #expect(range.count == batch || (range.count < batch && range.upperBound == population), "\(range)")
            #expect(!(range.lowerBound < population && range.upperBound > population), "\(range) straddles P = \(population)")
            for i in range {
                #expect(evolution.batch(containing: i) == range)
                #expect(evolution.resultsNeeded(before: i) <= range.lowerBound, "candidate \(i) of batch \(range)")
            }
            next = range.upperBound
        }
    }

    /// Drives a dispatcher batch by batch, completing each batch's candidates in the order
    /// `order` gives (a permutation of 0..<n); the accepted records in order.
    static func run(inFlight: Int, order: ([CandidateDispatcher.Item]) -> [Int]) throws -> [CandidateRecord] {
        var dispatcher = CandidateDispatcher(states: CandidateDispatcherTests.states(inFlight: inFlight))
        var accepted: [CandidateRecord] = [], batches = 0
        while !dispatcher.isFinished && batches < 100 {
            let batch = dispatcher.nextBatch()
            #expect(!batch.isEmpty)
            #expect(dispatcher.nextBatch().isEmpty, "a batch is handed out while the previous one is out")
            for k in order(batch) { accepted += try dispatcher.complete(CandidateDispatcherTests.train(batch[k])) }
            batches += 1
        }
        return accepted
    }

    @Test(arguments: [1, 2, 3, 5])
    func aBatchedSearchHasTheHistoryOfOneAtATimeWhateverOrderItsCandidatesFinishIn(inFlight: Int) throws {
        let sequential = try CandidateDispatcherTests.run(inFlight: inFlight, trainers: 1) { _, _ in 0 }
        #expect(sequential.count == 24)
        let inOrder = try Self.run(inFlight: inFlight) { Array($0.indices) }
        let reversed = try Self.run(inFlight: inFlight) { Array($0.indices.reversed()) }
        let scrambled = try Self.run(inFlight: inFlight) { b in b.indices.sorted { ($0 * 7 + 3) % b.count < ($1 * 7 + 3) % b.count } }
        #expect(inOrder == sequential)
        #expect(reversed == sequential)
        #expect(scrambled == sequential)
    }

    @Test func aBatchHoldsEveryMethodsCandidatesOfItsIndicesInTheFixedOrder() throws {
        var dispatcher = CandidateDispatcher(states: CandidateDispatcherTests.states(inFlight: 2))
        let first = dispatcher.nextBatch()
        #expect(first.map(\.index) == [0, 0, 1, 1])
        #expect(first.map(\.method) == [.evolution, .random, .evolution, .random])
        for item in first { _ = try dispatcher.complete(CandidateDispatcherTests.train(item)) }
        // Population 3, batches of 2: [2, 3) closes the initial population, then [3, 5).
        #expect(dispatcher.nextBatch().map(\.index) == [2, 2])
    }

    static let search = try! SearchConfigFile.parse(SearchProcessTests.yaml)

    @Test func aRoundsPayloadGivesBackEveryCandidateOfTheBatch() throws {
        let job = try SearchJob(text: SearchJob.text(Self.search, configurationText: SearchProcessTests.yaml))
        var dispatcher = CandidateDispatcher(states: Self.search.methods.map(Self.search.initialState))
        let batch = dispatcher.nextBatch()
        #expect(batch.count == 2)
        let payload = SearchJob.payload(batch, space: Self.search.space)
        #expect(payload.count == batch.count * SearchJob.valuesPerItem)
        for (k, item) in batch.enumerated() { #expect(try job.item(k, of: payload) == item) }
        #expect(job.configuration == Self.search)
    }

    @Test func theJobCarriesTheSearchSeedGivenOnTheCommandLine() throws {
        var search = Self.search
        search.seed = 77
        let job = try SearchJob(text: SearchJob.text(search, configurationText: SearchProcessTests.yaml))
        #expect(job.configuration.seed == 77)
        #expect(throws: SearchError.self) { try SearchJob(text: SearchProcessTests.yaml) }
    }

    @Test(arguments: [(0, 1.5), (1, 40), (2, 9), (4, 4), (5, 2), (7, 6), (9, 5.0), (0, .nan)])
    func aPayloadThatIsNotACandidateOfTheSearchIsRefused(position: Int, value: Double) throws {
        let job = SearchJob(configuration: Self.search)
        var dispatcher = CandidateDispatcher(states: Self.search.methods.map(Self.search.initialState))
        var payload = SearchJob.payload(dispatcher.nextBatch(), space: Self.search.space)
        #expect(try job.item(0, of: payload).index == 0)
        payload[position] = value
        #expect(throws: SearchError.self) { try job.item(0, of: payload) }
        #expect(throws: SearchError.self) { try job.item(2, of: payload) }
        let assignment = AssignmentMessage(iteration: 0, parameterVersion: 0, work: SearchJob.work, payload: payload, taskIndices: [0],
                                           parameters: [])
        #expect(throws: SearchError.self) { try job.answers(assignment) }
    }

    @Test(arguments: [[1.5, 0, 10, 1], [0.5, -1, 10, 1], [0.5, 0, 1e16, 1], [0.5, 0, 10, -1], [0.5, 2, 10, 1], [0.5, 0, 10]])
    func anAnswerThatCannotBeACandidatesResultIsRefused(scalars: [Double]) throws {
        var dispatcher = CandidateDispatcher(states: Self.search.methods.map(Self.search.initialState))
        let item = try #require(dispatcher.nextBatch().first)
        #expect(try SearchJob.record(item, scalars: [0.5, 0.01, 10, 1]).fitness == 0.5)
        #expect(throws: SearchError.self) { try SearchJob.record(item, scalars: scalars) }
    }
}
