import Foundation
import Yams
import MetaAlgorithms
import MetaConfig

/// Reads `search.yaml`. Every key is checked; a problem is one ``SearchError`` line naming the
/// key. The schema (ranges are `[low, high]`, inclusive; choices are lists):
///
/// ```yaml
/// name: omniglot-search
/// seed: 1                          # the search seed
/// methods: [evolution, random]     # run side by side, each with `candidates`
/// candidates: 24                   # per method
/// evolution: { population: 8, sample: 3, in_flight: 1 }   # in_flight: the batch size B (AgingEvolution)
/// fitness: { iterations: 100, validation_tasks: 50 }
/// base:                            # a run configuration, as `metatrain train --config` reads it
///   preset: omniglot-5w1s-maml
///   meta_batch: 4
/// space:                           # each key optional (default: issue 18's space)
///   blocks: [2, 5]
///   filters: [16, 128]
///   kernel: [3, 5]
///   downsampling: [strided, max-pool]
///   normalization: [batch-statistics, none]
///   learner: [maml, fomaml, anil, metasgd, reptile, protonet]
///   inner_steps: [1, 5]
///   inner_learning_rate: [0.01, 1.0]     # log-uniform
///   outer_learning_rate: [0.0001, 0.01]  # log-uniform
/// ```
public enum SearchConfigFile {
    public static func parse(_ text: String) throws -> SearchConfiguration {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            let lines = "\(error)".split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            throw SearchError("the search configuration is not valid YAML: " + lines.filter { !$0.isEmpty && $0 != "^" }.joined(separator: " "))
        }
        guard let root = node else { throw SearchError("the search configuration is empty") }
        let top = try Section(root, path: "", allowed: ["name", "seed", "methods", "candidates", "evolution", "fitness", "base", "space"])
        guard let baseNode = top["base"] else {
            throw SearchError("search config key 'base' is missing: give the run configuration candidates start from (e.g. base: { preset: omniglot-5w1s-maml })")
        }
        let base: RunConfiguration
        do { base = try ConfigFile.parse(try Yams.serialize(node: baseNode)) } catch {
            throw SearchError("search config key 'base': \(error)")
        }
        var methods = SearchMethod.allCases
        if let list = try top.strings("methods") {
            methods = try list.map { name in
                guard let m = SearchMethod(rawValue: name) else {
                    throw SearchError("search config key 'methods': unknown method '\(name)'; expected evolution or random")
                }
                return m
            }
            guard !methods.isEmpty, Set(methods).count == methods.count else {
                throw SearchError("search config key 'methods': list evolution, random or both, each once")
            }
        }
        let candidates = try top.integer("candidates", in: 1...100_000) ?? 20
        var evolution = AgingEvolution(population: min(10, candidates), sample: min(3, candidates))
        if let e = try top.section("evolution", allowed: ["population", "sample", "in_flight"]) {
            evolution.population = try e.integer("population", in: 1...100_000) ?? evolution.population
            evolution.sample = try e.integer("sample", in: 1...100_000) ?? min(evolution.sample, evolution.population)
            evolution.inFlight = try e.integer("in_flight", in: 1...1_000) ?? 1
        }
        guard evolution.sample <= evolution.population else {
            throw SearchError("search config key 'evolution.sample': \(evolution.sample) is more than the population (\(evolution.population))")
        }
        var fitnessIterations = 100, validationTasks = base.validationTasks
        if let f = try top.section("fitness", allowed: ["iterations", "validation_tasks"]) {
            fitnessIterations = try f.integer("iterations", in: ConfigLimits.iterations) ?? fitnessIterations
            validationTasks = try f.integer("validation_tasks", in: ConfigLimits.validationTasks) ?? validationTasks
        }
        var space = SearchSpace()
        if let s = try top.section("space", allowed: SearchDimension.allCases.map(\.rawValue)) {
            space.blocks = try s.integerRange("blocks", in: ConvEncoderArchitecture.blockRange) ?? space.blocks
            space.filters = try s.integerRange("filters", in: TaskLimits.filters) ?? space.filters
            if let k = try s.choices("kernel", allowed: ["1", "3", "5", "7"]) { space.kernels = k.map { Int($0)! } }
            space.downsampling = try s.choices("downsampling", allowed: ["strided", "max-pool"]) ?? space.downsampling
            space.normalization = try s.choices("normalization", allowed: ConvEncoderArchitecture.Normalization.allCases.map(\.rawValue))
                ?? space.normalization
            space.learners = try s.choices("learner", allowed: SearchSpace.supportedLearners) ?? space.learners
            space.innerSteps = try s.integerRange("inner_steps", in: 1...ConfigLimits.innerSteps.upperBound) ?? space.innerSteps
            space.innerLearningRate = try s.rateRange("inner_learning_rate") ?? space.innerLearningRate
            space.outerLearningRate = try s.rateRange("outer_learning_rate") ?? space.outerLearningRate
        }
        guard !space.variableDimensions.isEmpty else {
            throw SearchError("search config key 'space': every dimension has a single value, so there is nothing to search")
        }
        let c = SearchConfiguration(name: try top.string("name") ?? "search", seed: UInt64(try top.integer("seed", in: ConfigLimits.seed) ?? 1),
                                    methods: methods, candidates: candidates, evolution: evolution, space: space, base: base,
                                    fitnessIterations: fitnessIterations, validationTasks: validationTasks)
        // Every learner must train the base's tasks with the encoder (checked on one genome each).
        var g = RandomSearch.genome(index: 0, space: space, seed: c.seed)
        for learner in space.learners {
            g.learner = learner
            _ = try c.fullConfiguration(g, name: c.name)
        }
        return c
    }

    /// A YAML mapping with typed, path-named access; rejects keys outside `allowed`.
    struct Section {
        let path: String
        let entries: [String: Node]

        init(_ node: Node, path: String, allowed: [String]) throws {
            guard let mapping = node.mapping else {
                throw SearchError("search config key '\(path.isEmpty ? "(top level)" : String(path.dropLast()))': expected a mapping of keys to values")
            }
            var entries: [String: Node] = [:]
            for (k, v) in mapping {
                guard let key = k.string, allowed.contains(key) else {
                    throw SearchError("unknown search config key '\(path)\(k.string ?? "?")' (known here: \(allowed.sorted().joined(separator: ", ")))")
                }
                guard entries[key] == nil else { throw SearchError("search config key '\(path)\(key)' appears twice") }
                entries[key] = v
            }
            self.path = path; self.entries = entries
        }

        subscript(key: String) -> Node? { entries[key] }

        func section(_ key: String, allowed: [String]) throws -> Section? {
            try entries[key].map { try Section($0, path: path + key + ".", allowed: allowed) }
        }

        func string(_ key: String) throws -> String? {
            guard let n = entries[key] else { return nil }
            guard let s = n.scalar?.string, !s.isEmpty else { throw SearchError("search config key '\(path)\(key)': expected a string") }
            return s
        }

        func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
            guard let n = entries[key] else { return nil }
            return try Self.integer(n, key: path + key, in: range)
        }

        static func integer(_ n: Node, key: String, in range: ClosedRange<Int>) throws -> Int {
            guard let raw = n.scalar?.string, let v = Int(raw.replacingOccurrences(of: "_", with: "")) else {
                throw SearchError("search config key '\(key)': expected an integer")
            }
            guard range.contains(v) else {
                throw SearchError("search config key '\(key)': \(v) is out of range \(range.lowerBound)…\(range.upperBound)")
            }
            return v
        }

        func strings(_ key: String) throws -> [String]? {
            guard let n = entries[key] else { return nil }
            guard let items = n.sequence?.map({ $0.scalar?.string }), items.allSatisfy({ $0 != nil }) else {
                throw SearchError("search config key '\(path)\(key)': expected a list of values, e.g. [a, b]")
            }
            return items.map { $0! }
        }

        /// A non-empty list of distinct values from `allowed`.
        func choices(_ key: String, allowed: [String]) throws -> [String]? {
            guard let list = try strings(key) else { return nil }
            for v in list where !allowed.contains(v) {
                throw SearchError("search config key '\(path)\(key)': '\(v)' is not one of \(allowed.joined(separator: ", "))")
            }
            guard !list.isEmpty, Set(list).count == list.count else {
                throw SearchError("search config key '\(path)\(key)': give at least one value, each once")
            }
            return list
        }

        /// `[low, high]` within `range`, low ≤ high.
        func integerRange(_ key: String, in range: ClosedRange<Int>) throws -> ClosedRange<Int>? {
            guard let n = entries[key] else { return nil }
            guard let items = n.sequence, items.count == 2 else {
                throw SearchError("search config key '\(path)\(key)': expected [low, high]")
            }
            let low = try Self.integer(items[0], key: path + key, in: range), high = try Self.integer(items[1], key: path + key, in: range)
            guard low <= high else { throw SearchError("search config key '\(path)\(key)': low \(low) is above high \(high)") }
            return low...high
        }

        /// `[low, high]` of positive finite rates, low ≤ high (drawn log-uniformly).
        func rateRange(_ key: String) throws -> ClosedRange<Double>? {
            guard let n = entries[key] else { return nil }
            guard let items = n.sequence, items.count == 2,
                  let low = items[0].scalar.flatMap({ Double($0.string) }), let high = items[1].scalar.flatMap({ Double($0.string) }) else {
                throw SearchError("search config key '\(path)\(key)': expected [low, high] of numbers")
            }
            guard low > 0, high.isFinite, low <= high, high <= ConfigLimits.innerLearningRate.upperBound else {
                throw SearchError("search config key '\(path)\(key)': expected 0 < low ≤ high ≤ \(ConfigLimits.innerLearningRate.upperBound), got [\(low), \(high)]")
            }
            return low...high
        }
    }
}
