import MetaNN
import MetaAlgorithms

extension ConfigFile {
    /// The configuration as YAML that ``parse(_:)`` reads back to an equal value. Deterministic
    /// (fixed key order, shortest round-tripping numbers), so its hash identifies the run.
    public static func yaml(_ c: RunConfiguration) -> String {
        var lines = ["# metatrain run configuration", "name: \(quoted(c.name))", "source: \(quoted(c.source))",
                     "algorithm: \(c.algorithm.rawValue)", "seed: \(c.seed)", "iterations: \(c.iterations)",
                     "meta_batch: \(c.metaBatchSize)"]
        lines += ["tasks:"] + familyLines(c.family)
        if let e = c.evaluationFamily { lines += ["evaluation_tasks:"] + familyLines(e) }
        lines += ["model:", "  architecture: \(c.architecture.name)"] + entryLines(c.architecture.spec.entries)
        lines += ["inner:", "  steps: \(c.inner.steps)", "  evaluation_steps: \(c.inner.evaluationSteps)",
                  "  learning_rate: \(c.inner.learningRate)", "  first_order: \(c.inner.firstOrder)",
                  "  batch_norm: \(c.batchNorm.rawValue)"]
        // Written only when set, so the YAML (and the job hash) of runs without them is unchanged.
        if c.inner.samples != 1 { lines.append("  samples: \(c.inner.samples)") }
        if c.inner.klWeight != 1 { lines.append("  kl_weight: \(c.inner.klWeight)") }
        if c.inner.priorLogSigma != InnerLoop.defaultPriorLogSigma { lines.append("  prior_log_sigma: \(c.inner.priorLogSigma)") }
        if let v = c.inner.learnedNoise { lines.append("  learned_noise: \(v)") }
        if c.inner.predictiveObjective { lines.append("  objective: predictive") }
        if case let .adam(beta1) = c.inner.optimizer { lines += ["  optimizer: adam", "  beta1: \(beta1)"] }
        if let b = c.inner.batchSize { lines.append("  batch: \(b)") }
        if c.inner.residualNoise { lines.append("  residual_noise: true") }
        if c.inner.preconditionedKL { lines.append("  precondition_kl: true") }
        if let v = c.inner.noiseDegreesOfFreedom { lines.append("  noise_dof: \(v)") }
        if c.inner.leverageNoise { lines.append("  leverage_noise: true") }
        lines += ["outer:", "  optimizer: \(optimizerName(c.outerOptimizer))", "  learning_rate: \(c.outerOptimizer.learningRate)"]
        if let f = c.finalOuterLearningRate { lines.append("  final_learning_rate: \(f)") }
        lines += [
                  "validation:", "  interval: \(c.validationInterval)", "  tasks: \(c.validationTasks)",
                  "evaluation:", "  tasks: \(c.evaluationTasks)", "  seed: \(c.evaluationSeed)"]
        if c.perturbationScale != nil || c.perturbationSumOnWorkers {
            lines += ["es:"] + (c.perturbationScale.map { ["  sigma: \($0)"] } ?? [])
                + (c.perturbationSumOnWorkers ? ["  reduce: workers"] : [])
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func familyLines(_ f: RunConfiguration.Family) -> [String] {
        ["  family: \(f.name)"] + entryLines(f.spec.entries)
    }

    static func entryLines(_ entries: [(key: String, value: ConfigValue)]) -> [String] {
        entries.map { key, value in
            switch value {
            case let .integer(v): return "  \(key): \(v)"
            case let .string(v): return "  \(key): \(quoted(v))"
            case let .integers(v): return "  \(key): [\(v.map(String.init).joined(separator: ", "))]"
            }
        }
    }

    /// A YAML double-quoted scalar that reads back to `s`: backslash and quote escaped, and
    /// control characters and YAML's line breaks (NEL, U+2028, U+2029) written as `\uXXXX`,
    /// which a plain line break would not survive (folding turns it into a space).
    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
