import MetaRandom
import MetaAlgorithms
import MetaConfig

/// Everything that defines a search (`search.yaml`, ``SearchConfigFile``): the run
/// configuration every candidate starts from (its tasks, meta-batch, validation tasks and
/// evaluation seed), the space, the methods and their budget, and the fitness budget.
/// A value: the same configuration gives the same search history in any process.
public struct SearchConfiguration: Sendable, Equatable {
    public var name: String
    /// The search seed: candidate i's genome and training seed come from streams keyed by it.
    public var seed: UInt64
    /// The methods run side by side, each with ``candidates`` candidates.
    public var methods: [SearchMethod]
    public var candidates: Int
    public var evolution: AgingEvolution
    public var space: SearchSpace
    /// The run configuration a genome changes; its `iterations` is the full budget that
    /// `best.yaml` retrains the best candidate for.
    public var base: RunConfiguration
    /// Meta-iterations of a candidate's short training.
    public var fitnessIterations: Int
    /// Validation tasks a candidate is scored on (drawn from the base's evaluation seed: the
    /// same tasks for every candidate).
    public var validationTasks: Int

    public init(name: String, seed: UInt64, methods: [SearchMethod], candidates: Int, evolution: AgingEvolution, space: SearchSpace,
                base: RunConfiguration, fitnessIterations: Int, validationTasks: Int) {
        self.name = name; self.seed = seed; self.methods = methods; self.candidates = candidates; self.evolution = evolution
        self.space = space; self.base = base; self.fitnessIterations = fitnessIterations; self.validationTasks = validationTasks
    }

    /// The empty state of `method`.
    public func initialState(_ method: SearchMethod) -> SearchState {
        SearchState(method: method, space: space, evolution: evolution, seed: seed, candidates: candidates)
    }

    /// The training seed of candidate `index` (the same for every method, so that evolution's
    /// initial population and random search's first candidates are the same runs).
    public func trainingSeed(index: Int) -> UInt64 {
        var stream = RandomStream(seed: seed, iteration: UInt64(index), purpose: .searchTraining)
        return stream.next() >> 1  // within the configuration's seed range, 0…Int.max
    }

    /// The run configuration of `genome` at the full budget (`best.yaml`): the base with the
    /// genome applied, checked as a configuration file is.
    /// - Throws: ``SearchError`` naming the genome's problem (a learner that cannot train it).
    public func fullConfiguration(_ genome: Genome, name: String) throws -> RunConfiguration {
        var c = try genome.configuration(over: base)
        c.name = name
        c.source = "metatrain search '\(self.name)' (seed \(seed)): the fittest candidate, retrained at the base's budget"
        do { return try ConfigFile.parse(ConfigFile.yaml(c)) } catch {
            throw SearchError("search: the genome \(genome) gives no valid run configuration: \(error)")
        }
    }

    /// What candidate `index` trains: ``fullConfiguration(_:name:)`` for ``fitnessIterations``
    /// iterations with the candidate's own training seed, scored on ``validationTasks`` tasks.
    public func candidateConfiguration(index: Int, genome: Genome) throws -> RunConfiguration {
        var c = try fullConfiguration(genome, name: "\(name)-candidate-\(index)")
        c.iterations = fitnessIterations
        c.seed = trainingSeed(index: index)
        c.validationTasks = validationTasks
        return c
    }
}
