import Foundation
import Yams
import MetaNN
import MetaAlgorithms

/// Reads and writes run configurations as YAML.
///
/// Every key is checked: an unknown key, a value of the wrong type or out of range stops with
/// a ``ConfigError`` naming the key's path (`inner.learning_rate`). A file may start from a
/// preset (`preset: NAME`) and override any key. The schema:
///
/// ```yaml
/// preset: omniglot-5w1s-maml      # optional base
/// name: my-run
/// algorithm: maml                 # maml | reptile | metasgd | anil | protonet | pretrain
/// seed: 1
/// iterations: 60000
/// meta_batch: 32
/// tasks:                          # family: sinusoid | omniglot | synthetic-images
///   family: omniglot
///   ways: 5                       # not for sinusoid
///   shots: 1                      # sinusoid: support points
///   queries: 1                    # per class (sinusoid: query points)
///   data: data/omniglot           # omniglot archives' directory
///   size: 28                      # synthetic-images only
/// evaluation_tasks: { ... }       # optional, same keys as tasks
/// model:
///   architecture: omniglot-cnn    # sine-mlp | omniglot-cnn | protonet-encoder
///   hidden: [40, 40]              # sine-mlp only
/// inner:
///   steps: 1
///   evaluation_steps: 3
///   learning_rate: 0.4
///   first_order: false
///   batch_norm: batch-statistics
/// outer:
///   optimizer: adam               # adam | sgd
///   learning_rate: 0.001
/// validation: { interval: 500, tasks: 100 }
/// evaluation: { tasks: 600, seed: 20170000 }
/// ```
public enum ConfigFile {
    /// Parses a configuration; throws ``ConfigError`` on any problem.
    public static func parse(_ text: String) throws -> RunConfiguration {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            // Yams' diagnostics span lines (the line and a caret); keep the message on one.
            let lines = "\(error)".split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            throw ConfigError("the configuration is not valid YAML: " + lines.filter { !$0.isEmpty && $0 != "^" }.joined(separator: " "))
        }
        guard let root = node else { throw ConfigError("the configuration is empty") }
        let top = try Mapping(root, path: "", allowed: [
            "preset", "name", "algorithm", "seed", "iterations", "meta_batch", "tasks", "evaluation_tasks", "model",
            "inner", "outer", "validation", "evaluation", "source",
        ])
        var c: RunConfiguration
        if let preset = try top.string("preset") {
            guard let base = RunConfiguration.presets[preset] else {
                throw ConfigError("config key 'preset': unknown preset '\(preset)'; available: "
                                  + RunConfiguration.presets.keys.sorted().joined(separator: ", "))
            }
            c = base
        } else {
            for required in ["algorithm", "tasks", "model", "inner", "outer", "iterations", "meta_batch"] where top[required] == nil {
                throw ConfigError("config key '\(required)' is missing (or start from a preset with 'preset: NAME')")
            }
            c = RunConfiguration(name: "run", source: "configuration file", algorithm: .maml,
                                 family: .sinusoid(support: 10, query: 10), architecture: .sineMLP(hidden: [40, 40]),
                                 inner: InnerLoop(steps: 1, learningRate: 0.01), metaBatchSize: 1,
                                 outerOptimizer: .adam(learningRate: 0.001), iterations: 1)
        }
        if let v = try top.string("name") { c.name = v }
        if let v = try top.string("source") { c.source = v }
        if let v = try top.string("algorithm") {
            guard let a = Algorithm(rawValue: v) else {
                throw ConfigError("config key 'algorithm': unknown algorithm '\(v)'; expected one of "
                                  + Algorithm.allCases.map(\.rawValue).joined(separator: ", "))
            }
            c.algorithm = a
        }
        if let v = try top.integer("seed", in: ConfigLimits.seed) { c.seed = UInt64(v) }
        if let v = try top.integer("iterations", in: ConfigLimits.iterations) { c.iterations = v }
        if let v = try top.integer("meta_batch", in: ConfigLimits.metaBatch) { c.metaBatchSize = v }
        if let t = try top.mapping("tasks", allowed: familyKeys) { c.family = try family(t, base: c.family) }
        if let t = try top.mapping("evaluation_tasks", allowed: familyKeys) {
            c.evaluationFamily = try family(t, base: c.evaluationFamily ?? c.family)
        }
        if let m = try top.mapping("model", allowed: ["architecture", "hidden"]) {
            switch try m.string("architecture") ?? architectureName(c.architecture) {
            case "sine-mlp":
                let hidden = try m.integers("hidden", in: ConfigLimits.hiddenWidth, count: ConfigLimits.hiddenLayers) ?? { if case let .sineMLP(h) = c.architecture { return h }; return [40, 40] }()
                c.architecture = .sineMLP(hidden: hidden)
            case "omniglot-cnn": c.architecture = .omniglotCNN(ways: waysOf(c.family))
            case "protonet-encoder": c.architecture = .protoNetEncoder
            case let other:
                throw ConfigError("config key 'model.architecture': unknown architecture '\(other)'; expected sine-mlp, omniglot-cnn or protonet-encoder")
            }
            if m["hidden"] != nil, case .sineMLP = c.architecture {} else if m["hidden"] != nil {
                throw ConfigError("config key 'model.hidden' applies only to architecture sine-mlp")
            }
        } else if case .omniglotCNN = c.architecture {
            c.architecture = .omniglotCNN(ways: waysOf(c.family))
        }
        if let i = try top.mapping("inner", allowed: ["steps", "evaluation_steps", "learning_rate", "first_order", "batch_norm"]) {
            if let v = try i.integer("steps", in: ConfigLimits.innerSteps) { c.inner.steps = v }
            if let v = try i.integer("evaluation_steps", in: ConfigLimits.innerSteps) { c.inner.evaluationSteps = v }
            if let v = try i.number("learning_rate", in: ConfigLimits.innerLearningRate) { c.inner.learningRate = v }
            if let v = try i.bool("first_order") { c.inner.firstOrder = v }
            if let v = try i.string("batch_norm") {
                guard let mode = BatchNormMode(rawValue: v) else {
                    throw ConfigError("config key 'inner.batch_norm': unknown mode '\(v)'; expected "
                                      + BatchNormMode.allCases.map(\.rawValue).joined(separator: ", "))
                }
                c.batchNorm = mode
            }
        }
        if let o = try top.mapping("outer", allowed: ["optimizer", "learning_rate"]) {
            let rate = try o.number("learning_rate", in: ConfigLimits.outerLearningRate, exclusiveMinimum: true) ?? c.outerOptimizer.learningRate
            switch try o.string("optimizer") ?? optimizerName(c.outerOptimizer) {
            case "adam": c.outerOptimizer = .adam(learningRate: rate)
            case "sgd": c.outerOptimizer = .sgd(learningRate: rate)
            case let other: throw ConfigError("config key 'outer.optimizer': unknown optimizer '\(other)'; expected adam or sgd")
            }
        }
        if let v = try top.mapping("validation", allowed: ["interval", "tasks"]) {
            if let x = try v.integer("interval", in: ConfigLimits.validationInterval) { c.validationInterval = x }
            if let x = try v.integer("tasks", in: ConfigLimits.validationTasks) { c.validationTasks = x }
        }
        if let e = try top.mapping("evaluation", allowed: ["tasks", "seed"]) {
            if let x = try e.integer("tasks", in: ConfigLimits.evaluationTasks) { c.evaluationTasks = x }
            if let x = try e.integer("seed", in: ConfigLimits.seed) { c.evaluationSeed = UInt64(x) }
        }
        try validate(c)
        return c
    }

    /// Checks combinations that single keys cannot.
    static func validate(_ c: RunConfiguration) throws {
        if case .sinusoid = c.family, c.metric != "mse" { throw ConfigError("sinusoid tasks are regression") }
        switch (c.family, c.architecture) {
        case (.sinusoid, .sineMLP), (.omniglot, .omniglotCNN), (.omniglot, .protoNetEncoder),
             (.syntheticImages, .omniglotCNN), (.syntheticImages, .protoNetEncoder): break
        default:
            throw ConfigError("config keys 'tasks.family' and 'model.architecture' do not fit together: "
                              + "\(familyName(c.family)) tasks with a \(architectureName(c.architecture)) model")
        }
        let learner = c.algorithm.learner
        if let problem = learner.problem(with: c) { throw ConfigError(problem) }
        if case let .omniglotCNN(ways) = c.architecture, learner.usesModelHead, let e = c.evaluationFamily, waysOf(e) != ways {
            throw ConfigError("config key 'evaluation_tasks.ways': \(waysOf(e)) differs from the model's \(ways)-way head "
                              + "(only learners that do not classify with the head, such as protonet, can evaluate with another number of ways)")
        }
        try checkSizes(c)
    }

    /// Checks the products of in-range values against ``ConfigLimits``' budgets, and the task
    /// families against the data they draw from. Each product is a few multiplications of
    /// in-range numbers (at most about 2⁴⁶ for the largest), so none of them can overflow here.
    static func checkSizes(_ c: RunConfiguration) throws {
        // Validation and test draw from the evaluation family when there is one.
        let testing = c.evaluationFamily ?? c.family
        let testingKey = c.evaluationFamily == nil ? "tasks" : "evaluation_tasks"
        for (family, key) in [(c.family, "tasks")] + (c.evaluationFamily.map { [($0, "evaluation_tasks")] } ?? []) {
            let scalars = taskScalars(family)
            guard scalars <= ConfigLimits.taskScalarBudget else {
                throw ConfigError("config keys '\(key).*' give tasks of \(scalars) input scalars (\(taskSizeFormula(family, key))), "
                                  + "more than \(ConfigLimits.taskScalarBudget); use fewer ways, shots or queries, or smaller images")
            }
        }
        // Batched MAML on sinusoids stacks the meta-batch: its activations are meta_batch × points × width.
        if case let .sinusoid(k, q) = c.family, case let .sineMLP(hidden) = c.architecture {
            let activations = c.metaBatchSize * (k + q) * (hidden.max() ?? 1)
            guard activations <= ConfigLimits.iterationScalarBudget else {
                throw ConfigError("config keys 'meta_batch' × ('tasks.shots' + 'tasks.queries') × the widest 'model.hidden' layer = "
                                  + "\(activations) activations per iteration, more than \(ConfigLimits.iterationScalarBudget)")
            }
        }
        // The ProtoNet encoder halves the image with four 2×2 max-pools: below 16 pixels a pool meets a 1×1 map.
        for (family, key) in [(c.family, "tasks")] + (c.evaluationFamily.map { [($0, "evaluation_tasks")] } ?? []) {
            if case .protoNetEncoder = c.architecture, case let .syntheticImages(_, _, _, size) = family, size < 16 {
                throw ConfigError("config key '\(key).size': the protonet-encoder model halves images four times, "
                                  + "so it needs at least 16 pixels, got \(size)")
            }
        }
        let perIteration = c.metaBatchSize * taskScalars(c.family)
        guard perIteration <= ConfigLimits.iterationScalarBudget else {
            throw ConfigError("config key 'meta_batch': \(c.metaBatchSize) tasks × \(taskScalars(c.family)) input scalars each = "
                              + "\(perIteration) per iteration, more than \(ConfigLimits.iterationScalarBudget); use a smaller meta_batch or tasks")
        }
        if case let .sineMLP(hidden) = c.architecture {
            let sizes = [1] + hidden + [1]
            let count = zip(sizes, sizes.dropFirst()).reduce(0) { $0 + ($1.0 + 1) * $1.1 }
            guard count <= ConfigLimits.parameterBudget else {
                throw ConfigError("config key 'model.hidden': \(hidden) gives \(count) parameters, more than \(ConfigLimits.parameterBudget)")
            }
        }
        // Omniglot: an N-way task draws N distinct characters of one split.
        if case let .omniglot(ways, _, _, _) = c.family, ways > ConfigLimits.omniglotSplitSizes.train {
            throw ConfigError("config key 'tasks.ways': \(ways)-way Omniglot tasks need \(ways) characters; "
                              + "the train split has \(ConfigLimits.omniglotSplitSizes.train)")
        }
        if case let .omniglot(ways, _, _, _) = testing, ways > ConfigLimits.omniglotSplitSizes.validation {
            throw ConfigError("config key '\(testingKey).ways': \(ways)-way Omniglot tasks need \(ways) characters; the validation split "
                              + "has \(ConfigLimits.omniglotSplitSizes.validation) (set evaluation_tasks.ways for validation and test)")
        }
    }

    /// The scalars in one task's support and query inputs.
    static func taskScalars(_ f: RunConfiguration.Family) -> Int {
        switch f {
        case let .sinusoid(k, q): return k + q
        case let .omniglot(n, k, q, _): return n * (k + q) * 28 * 28
        case let .syntheticImages(n, k, q, size): return n * (k + q) * size * size
        }
    }

    static func taskSizeFormula(_ f: RunConfiguration.Family, _ key: String) -> String {
        switch f {
        case .sinusoid: return "\(key).shots + \(key).queries"
        case .omniglot: return "\(key).ways × (\(key).shots + \(key).queries) × 28²"
        case .syntheticImages: return "\(key).ways × (\(key).shots + \(key).queries) × \(key).size²"
        }
    }

    static let familyKeys = ["family", "ways", "shots", "queries", "data", "size"]

    static func family(_ t: Mapping, base: RunConfiguration.Family) throws -> RunConfiguration.Family {
        let name = try t.string("family") ?? familyName(base)
        var ways = 5, shots = 1, queries = 1, size = 28, data = RunConfiguration.defaultOmniglotDirectory
        switch base {
        case let .sinusoid(k, q): shots = k; queries = q
        case let .omniglot(n, k, q, d): ways = n; shots = k; queries = q; data = d
        case let .syntheticImages(n, k, q, s): ways = n; shots = k; queries = q; size = s
        }
        if let v = try t.integer("ways", in: ConfigLimits.ways) { ways = v }
        if let v = try t.integer("shots", in: ConfigLimits.shots) { shots = v }
        if let v = try t.integer("queries", in: ConfigLimits.queries) { queries = v }
        if let v = try t.integer("size", in: ConfigLimits.imageSize) { size = v }
        if let v = try t.string("data") { data = v }
        switch name {
        case "sinusoid":
            for k in ["ways", "data", "size"] where t[k] != nil { throw ConfigError("config key '\(t.path)\(k)' does not apply to sinusoid tasks") }
            return .sinusoid(support: shots, query: queries)
        case "omniglot":
            if t["size"] != nil { throw ConfigError("config key '\(t.path)size' does not apply to omniglot tasks (always 28)") }
            guard shots + queries <= 20 else {
                throw ConfigError("config keys '\(t.path)shots' + '\(t.path)queries' = \(shots + queries): Omniglot has 20 drawings per character")
            }
            return .omniglot(ways: ways, shots: shots, queries: queries, directory: data)
        case "synthetic-images":
            if t["data"] != nil { throw ConfigError("config key '\(t.path)data' does not apply to synthetic-images tasks") }
            return .syntheticImages(ways: ways, shots: shots, queries: queries, size: size)
        default:
            throw ConfigError("config key '\(t.path)family': unknown family '\(name)'; expected sinusoid, omniglot or synthetic-images")
        }
    }

    static func waysOf(_ f: RunConfiguration.Family) -> Int {
        switch f {
        case .sinusoid: return 1
        case let .omniglot(n, _, _, _), let .syntheticImages(n, _, _, _): return n
        }
    }
    static func familyName(_ f: RunConfiguration.Family) -> String {
        switch f { case .sinusoid: "sinusoid"; case .omniglot: "omniglot"; case .syntheticImages: "synthetic-images" }
    }
    static func architectureName(_ a: RunConfiguration.Architecture) -> String {
        switch a { case .sineMLP: "sine-mlp"; case .omniglotCNN: "omniglot-cnn"; case .protoNetEncoder: "protonet-encoder" }
    }
    static func optimizerName(_ o: OuterOptimizer) -> String {
        switch o { case .adam: "adam"; case .sgd: "sgd" }
    }
}
