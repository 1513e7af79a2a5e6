import Testing
import MetaSearch

/// The dispatcher between a search's methods and its trainers: however many candidates are
/// trained at once and in whatever order they finish (or are lost and trained again), the
/// accepted history is the one of a search that trains them one at a time.
@Suite struct CandidateDispatcherTests {
    static func states(inFlight: Int) -> [SearchState] {
        let evolution = AgingEvolution(population: 3, sample: 2, inFlight: inFlight)
        return [SearchMethod.evolution, .random].map {
            SearchState(method: $0, space: Fixtures.space, evolution: evolution, seed: 11, candidates: 12)
        }
    }

    static func train(_ item: CandidateDispatcher.Item) -> CandidateRecord {
        CandidateRecord(method: item.method, index: item.index, genome: item.genome, fitness: Fixtures.syntheticFitness(item.genome),
                        ci95: 0, parameters: 0, seconds: 0)
    }

    /// `trainers` items out at once; each turn finishes the one `pick` chooses among those out.
    /// Returns the accepted records in the order the dispatcher gave them back.
    static func run(inFlight: Int, trainers: Int, pick: (Int, Int) -> Int) throws -> [CandidateRecord] {
        var dispatcher = CandidateDispatcher(states: states(inFlight: inFlight))
        var out: [CandidateDispatcher.Item] = [], accepted: [CandidateRecord] = [], turn = 0
        while !dispatcher.isFinished {
            while out.count < trainers, let item = dispatcher.next() { out.append(item) }
            let item = out.remove(at: pick(turn, out.count))
            accepted += try dispatcher.complete(train(item))
            turn += 1
            #expect(turn < 1000, "no progress")
            if turn >= 1000 { break }
        }
        return accepted
    }

    @Test(arguments: [1, 2, 3])
    func theHistoryDoesNotDependOnHowManyCandidatesAreOutNorOnTheOrderTheyFinishIn(inFlight: Int) throws {
        let sequential = try Self.run(inFlight: inFlight, trainers: 1) { _, _ in 0 }
        #expect(sequential.count == 24)
        // The interleaved order: evolution 0, random 0, evolution 1, …
        #expect(sequential.map(\.index) == (0..<12).flatMap { [$0, $0] })
        #expect(sequential.map(\.method) == Array(repeating: [SearchMethod.evolution, .random], count: 12).flatMap { $0 })
        for trainers in [2, 3, 5] {
            let lastFirst = try Self.run(inFlight: inFlight, trainers: trainers) { _, n in n - 1 }
            let scrambled = try Self.run(inFlight: inFlight, trainers: trainers) { turn, n in (turn * 7 + 3) % n }
            #expect(lastFirst == sequential, "\(trainers) trainers, the last handed out finishing first")
            #expect(scrambled == sequential, "\(trainers) trainers, scrambled")
        }
    }

    @Test func moreThanOneCandidateIsOutAtOnceOnlyAsFarAsEvolutionAllows() throws {
        var dispatcher = CandidateDispatcher(states: Self.states(inFlight: 1))
        var items: [CandidateDispatcher.Item] = []
        while let item = dispatcher.next() { items.append(item) }
        // The initial population (3) of evolution and every random candidate, but no child yet.
        #expect(items.filter { $0.method == .evolution }.map(\.index) == [0, 1, 2])
        #expect(items.filter { $0.method == .random }.map(\.index) == Array(0..<12))
    }

    @Test func aLostCandidateIsHandedOutAgainAndADuplicateResultIsIgnored() throws {
        var dispatcher = CandidateDispatcher(states: Self.states(inFlight: 2))
        let a = dispatcher.next(), b = dispatcher.next()
        let first = try #require(a), second = try #require(b)
        dispatcher.requeue(first)
        let again = dispatcher.next()
        #expect(again == first)
        // The second finishes before the first: it waits.
        #expect(try dispatcher.complete(Self.train(second)).isEmpty)
        #expect(try dispatcher.complete(Self.train(first)).map(\.index) == [0, 0])
        // A second result for a candidate already accepted changes nothing.
        #expect(try dispatcher.complete(Self.train(first)).isEmpty)
        #expect(dispatcher.accepted == 2 && dispatcher.states.map(\.records.count) == [1, 1])
    }

    @Test func aResultWhoseGenomeIsNotTheOneHandedOutIsRefused() throws {
        var dispatcher = CandidateDispatcher(states: Self.states(inFlight: 1))
        let next = dispatcher.next()
        let item = try #require(next)
        var record = Self.train(item)
        record.genome.blocks = record.genome.blocks == 2 ? 3 : 2
        #expect(throws: SearchError.self) { try dispatcher.complete(record) }
    }
}
