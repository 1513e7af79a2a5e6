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
/// algorithm: maml                 # a registered learner: maml | reptile | metasgd | anil | protonet | pretrain | baseline | relationnet | metalstm | mann
/// seed: 1
/// iterations: 60000
/// meta_batch: 32
/// tasks:                          # a registered family: sinusoid | omniglot | synthetic-images | omniglot-sequences | synthetic-sequences | ambiguous | omniglot-classes
///   family: omniglot
///   ways: 5                       # not for sinusoid
///   shots: 1                      # sinusoid: support points
///   queries: 1                    # per class (sinusoid: query points)
///   data_sha256: 8745d3…          # omniglot: the data's content digest (runs pin it; the folder is
///                                 # each process's METATRAIN_OMNIGLOT_DIR, never a key)
///   size: 28                      # synthetic images, sequences (downscaled side)
///   batch: 16                     # omniglot-classes: images per task
/// evaluation_tasks: { ... }       # optional, same keys as tasks
/// model:
///   architecture: omniglot-cnn    # a registered architecture: sine-mlp | omniglot-cnn | protonet-encoder | maxpool-cnn | relation-network | mann | lstm | conv-encoder
///   hidden: [40, 40]              # sine-mlp only
///   filters: 32                   # maxpool-cnn, conv-encoder
///   blocks: 4                     # conv-encoder (also kernel: 3, downsampling: strided | max-pool,
///                                 #   normalization: batch-statistics | none)
///   units: 200                    # mann, lstm
/// inner:
///   steps: 1
///   evaluation_steps: 3
///   learning_rate: 0.4
///   first_order: false
///   batch_norm: batch-statistics
///   samples: 5                    # Bayesian learners (abml): posterior samples per task; default 1
///   kl_weight: 1                  # Bayesian learners: the KL term's weight; default 1
///   prior_log_sigma: -4           # Bayesian learners: the prior's initial log σ; default -4
///   learned_noise: 1.0            # Bayesian learners: meta-learn the regression noise from this σ; default: the known noise, fixed
///   objective: expected           # Bayesian learners: the query term, expected | predictive; default expected
///   residual_noise: false         # Bayesian learners, with learned_noise: add a learned multiple of the support residual per task
///   precondition_kl: false        # Bayesian learners: the inner step of the KL's mean part times the prior's variance
///   noise_dof: 5                  # Bayesian learners, with learned_noise and objective predictive: Student-t noise; gaussian (default): Gaussian
///   leverage_noise: false         # Bayesian learners, with learned_noise and objective predictive: noise growing with a query's leverage
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
            "inner", "outer", "validation", "evaluation", "source", "es",
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
        if let t = try top.mapping("tasks", allowed: TaskFamilies.allKeys) {
            c.family = try reported { try .read(t, over: c.family) }
        }
        if let t = try top.mapping("evaluation_tasks", allowed: TaskFamilies.allKeys) {
            c.evaluationFamily = try reported { try .read(t, over: c.evaluationFamily ?? c.family) }
        }
        if let m = try top.mapping("model", allowed: Architectures.allKeys) {
            c.architecture = try reported { try .read(m, over: c.architecture, tasks: c.family) }
        } else {
            c.architecture = c.architecture.fitted(to: c.family)
        }
        if let i = try top.mapping("inner", allowed: ["steps", "evaluation_steps", "learning_rate", "first_order", "batch_norm",
                                                       "samples", "kl_weight", "prior_log_sigma", "learned_noise", "objective",
                                                       "optimizer", "beta1", "batch", "residual_noise", "precondition_kl",
                                                       "noise_dof", "leverage_noise"]) {
            if let v = try i.integer("steps", in: ConfigLimits.innerSteps) { c.inner.steps = v }
            if let v = try i.integer("evaluation_steps", in: ConfigLimits.innerSteps) { c.inner.evaluationSteps = v }
            if let v = try i.number("learning_rate", in: ConfigLimits.innerLearningRate) { c.inner.learningRate = v }
            if let v = try i.bool("first_order") { c.inner.firstOrder = v }
            if let v = try i.integer("samples", in: ConfigLimits.posteriorSamples) { c.inner.samples = v }
            if let v = try i.number("kl_weight", in: ConfigLimits.klWeight) { c.inner.klWeight = v }
            if let v = try i.number("prior_log_sigma", in: ConfigLimits.priorLogSigma) { c.inner.priorLogSigma = v }
            if let v = try i.number("learned_noise", in: ConfigLimits.learnedNoise, exclusiveMinimum: true) { c.inner.learnedNoise = v }
            if let v = try i.bool("residual_noise") { c.inner.residualNoise = v }
            if let v = try i.bool("precondition_kl") { c.inner.preconditionedKL = v }
            if let v = try i.bool("leverage_noise") { c.inner.leverageNoise = v }
            if i["noise_dof"]?.scalar?.string == "gaussian" { c.inner.noiseDegreesOfFreedom = nil }
            else if let v = try i.number("noise_dof", in: ConfigLimits.noiseDegreesOfFreedom) { c.inner.noiseDegreesOfFreedom = v }
            switch try i.string("objective") {
            case nil: break
            case "expected": c.inner.predictiveObjective = false
            case "predictive": c.inner.predictiveObjective = true
            case let other?: throw ConfigError("config key 'inner.objective': unknown objective '\(other)'; expected expected or predictive")
            }
            let beta1 = try i.number("beta1", in: ConfigLimits.adamBeta1)
            switch try i.string("optimizer") {
            case nil:
                if let b = beta1, case .adam = c.inner.optimizer { c.inner.optimizer = .adam(beta1: b) }
                else if beta1 != nil { throw ConfigError("config key 'inner.beta1': set only with inner.optimizer: adam") }
            case "sgd":
                if beta1 != nil { throw ConfigError("config key 'inner.beta1': set only with inner.optimizer: adam") }
                c.inner.optimizer = .sgd
            case "adam": c.inner.optimizer = .adam(beta1: beta1 ?? 0.9)
            case let other?: throw ConfigError("config key 'inner.optimizer': unknown optimizer '\(other)'; expected sgd or adam")
            }
            if let v = try i.integer("batch", in: ConfigLimits.innerBatch) { c.inner.batchSize = v }
            if let v = try i.string("batch_norm") {
                guard let mode = BatchNormMode(rawValue: v) else {
                    throw ConfigError("config key 'inner.batch_norm': unknown mode '\(v)'; expected "
                                      + BatchNormMode.allCases.map(\.rawValue).joined(separator: ", "))
                }
                c.batchNorm = mode
            }
        }
        if let o = try top.mapping("outer", allowed: ["optimizer", "learning_rate", "final_learning_rate"]) {
            if let v = try o.number("final_learning_rate", in: ConfigLimits.outerLearningRate) { c.finalOuterLearningRate = v }
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
        if let e = try top.mapping("es", allowed: ["sigma", "reduce"]) {
            if let x = try e.number("sigma", in: ConfigLimits.perturbationScale, exclusiveMinimum: true) { c.perturbationScale = x }
            switch try e.string("reduce") {
            case nil: break
            case "coordinator": c.perturbationSumOnWorkers = false
            case "workers": c.perturbationSumOnWorkers = true
            case let other?: throw ConfigError("config key 'es.reduce': unknown place '\(other)'; expected coordinator or workers")
            }
        }
        try validate(c)
        return c
    }

    /// Checks combinations that single keys cannot: the learner, the architecture and the
    /// tasks against each other, then sizes (``checkSizes(_:)``).
    static func validate(_ c: RunConfiguration) throws {
        for f in [c.family] + (c.evaluationFamily.map { [$0] } ?? []) where !c.architecture.spec.accepts(f) {
            throw ConfigError("config keys 'tasks.family' and 'model.architecture' do not fit together: "
                              + "\(f.name) tasks with a \(c.architecture.name) model")
        }
        let learner = c.algorithm.learner
        for (f, key) in [(c.family, "tasks")] + (c.evaluationFamily.map { [($0, "evaluation_tasks")] } ?? [])
        where !learner.taskShapes.contains(f.spec.shape) {
            let shapes = learner.taskShapes.map(\.rawValue).joined(separator: " or ")
            throw ConfigError("config key '\(key).family': \(learner.id) trains on \(shapes) tasks; "
                              + "\(f.name) tasks are \(f.spec.shape.rawValue)")
        }
        if let problem = learner.problem(with: c) { throw ConfigError(problem) }
        if !learner.takesInnerOptimizer && (c.inner.optimizer != .sgd || c.inner.batchSize != nil) {
            throw ConfigError("config keys 'inner.optimizer' and 'inner.batch': \(learner.id) steps with SGD on the whole support set; "
                              + "remove them (reptile takes them)")
        }
        if c.batchNorm == .runningStatistics {
            guard let net = c.model as? ConvNet, net.batchNorm else {
                throw ConfigError("config key 'inner.batch_norm': running-statistics needs a CNN with batch norm; "
                                  + "\(c.architecture.name) has none (use batch-statistics)")
            }
            guard learner.keepsRunningStatistics else {
                throw ConfigError("config key 'inner.batch_norm': \(learner.id) does not keep running statistics; "
                                  + "use batch-statistics (running-statistics trains with maml)")
            }
        }
        if let ways = c.architecture.spec.headClasses, learner.usesModelHead, let e = c.evaluationFamily,
           let classes = e.spec.classes, classes != ways {
            throw ConfigError("config key 'evaluation_tasks.ways': \(classes) differs from the model's \(ways)-way head "
                              + "(only learners that do not classify with the head, such as protonet, can evaluate with another number of ways)")
        }
        if let problem = c.architecture.spec.problem(with: c) { throw ConfigError(problem) }
        try checkSizes(c)
    }

    /// Checks the products of in-range values against the budgets (``TaskLimits``), and the
    /// task families against the data they draw from. Each product is a few multiplications of
    /// in-range numbers (at most about 2⁴⁶ for the largest), so none of them can overflow here.
    static func checkSizes(_ c: RunConfiguration) throws {
        for (family, key) in [(c.family, "tasks")] + (c.evaluationFamily.map { [($0, "evaluation_tasks")] } ?? []) {
            let scalars = family.spec.taskScalars
            guard scalars <= ConfigLimits.taskScalarBudget else {
                throw ConfigError("config keys '\(key).*' give tasks of \(scalars) input scalars (\(family.spec.taskScalarsFormula(key: key))), "
                                  + "more than \(ConfigLimits.taskScalarBudget); use fewer ways, shots or queries, or smaller images")
            }
        }
        let perIteration = c.metaBatchSize * c.family.spec.taskScalars
        guard perIteration <= ConfigLimits.iterationScalarBudget else {
            throw ConfigError("config key 'meta_batch': \(c.metaBatchSize) tasks × \(c.family.spec.taskScalars) input scalars each = "
                              + "\(perIteration) per iteration, more than \(ConfigLimits.iterationScalarBudget); use a smaller meta_batch or tasks")
        }
        // Validation and test draw from the evaluation family when there is one.
        if let problem = c.family.spec.problem(key: "tasks", testing: false) { throw ConfigError(problem) }
        let testing = c.evaluationFamily ?? c.family
        if let problem = testing.spec.problem(key: c.evaluationFamily == nil ? "tasks" : "evaluation_tasks", testing: true) {
            throw ConfigError(problem)
        }
    }

    /// A component's ``ConfigurationProblem`` as this reader's ``ConfigError``.
    static func reported<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let p as ConfigurationProblem { throw ConfigError(p.description) }
    }

    static func optimizerName(_ o: OuterOptimizer) -> String {
        switch o { case .adam: "adam"; case .sgd: "sgd" }
    }
}
