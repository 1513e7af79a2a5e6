import Testing
import MetaAlgorithms
import MetaConfig

/// Every number in a configuration has a range, checked with the key's path in one line.
@Suite struct ConfigRangeTests {
    /// The error `yaml` gives, or `nil` when it parses.
    static func error(_ yaml: String) -> String? {
        do { _ = try ConfigFile.parse(yaml); return nil } catch { return "\(error)" }
    }

    @Test func theTwoReportedConfigurationsNameTheirKeyInOneLine() {
        let shots = Self.error("preset: sine-maml\ntasks: {shots: 9223372036854775807}\n")
        #expect(shots == "config key 'tasks.shots' must be between 1 and 1000, got 9223372036854775807")
        let batch = Self.error("preset: sine-maml\nmeta_batch: 4000000000000\n")
        #expect(batch == "config key 'meta_batch' must be between 1 and 10000, got 4000000000000")
        // Omniglot adds shots and queries while parsing: the sum must not overflow either.
        let omniglot = Self.error("preset: omniglot-5w1s-maml\ntasks: {shots: 9223372036854775807}\n")
        #expect(omniglot?.contains("'tasks.shots' must be between 1 and 1000") == true)
    }

    /// (preset, key path as YAML, range) for every integer key.
    static let integerKeys: [(preset: String, key: String, range: ClosedRange<Int>)] = [
        ("sine-maml", "seed", ConfigLimits.seed),
        ("sine-maml", "iterations", ConfigLimits.iterations),
        ("sine-maml", "meta_batch", ConfigLimits.metaBatch),
        ("synthetic", "tasks.ways", ConfigLimits.ways),
        ("sine-maml", "tasks.shots", ConfigLimits.shots),
        ("sine-maml", "tasks.queries", ConfigLimits.queries),
        ("synthetic", "tasks.size", ConfigLimits.imageSize),
        ("omniglot-5w1s-protonet", "evaluation_tasks.shots", ConfigLimits.shots),
        ("sine-maml", "inner.steps", ConfigLimits.innerSteps),
        ("sine-maml", "inner.evaluation_steps", ConfigLimits.innerSteps),
        ("sine-maml", "validation.interval", ConfigLimits.validationInterval),
        ("sine-maml", "validation.tasks", ConfigLimits.validationTasks),
        ("sine-maml", "evaluation.tasks", ConfigLimits.evaluationTasks),
        ("sine-maml", "evaluation.seed", ConfigLimits.seed),
    ]

    /// A configuration setting `key` (a dotted path of at most two parts) to `value`; the
    /// "synthetic" preset is omniglot-5w1s-maml on synthetic-images tasks.
    static func yaml(preset: String, key: String, value: String) -> String {
        let parts = key.split(separator: ".").map(String.init)
        if preset == "synthetic" {
            var fields = ["family": "synthetic-images", "ways": "5", "shots": "1", "queries": "1", "size": "28"]
            if parts[0] == "tasks" { fields[parts[1]] = value }
            let tasks = ["family", "ways", "shots", "queries", "size"].map { "\($0): \(fields[$0]!)" }.joined(separator: ", ")
            return "preset: omniglot-5w1s-maml\ntasks: {\(tasks)}\n"
        }
        if parts.count == 1 { return "preset: \(preset)\n\(key): \(value)\n" }
        return "preset: \(preset)\n\(parts[0]):\n  \(parts[1]): \(value)\n"
    }

    @Test func everyIntegerKeyAcceptsItsBoundsAndNamesItselfOutsideThem() {
        for (preset, key, range) in Self.integerKeys {
            // The bounds themselves parse, unless a combination check refuses them (reported with the key's name too).
            for inside in [range.lowerBound, min(range.upperBound, range.lowerBound + 1)] {
                let e = Self.error(Self.yaml(preset: preset, key: key, value: "\(inside)"))
                #expect(e == nil || !e!.contains("must be between"), "\(key) = \(inside): \(e ?? "")")
            }
            var outside = ["9223372036854775807", "99999999999999999999999", "-9223372036854775808"]
            if range.lowerBound > Int.min { outside.append("\(range.lowerBound - 1)") }
            if range.upperBound < Int.max { outside.append("\(range.upperBound + 1)") }
            for value in outside where Int(value).map({ !range.contains($0) }) ?? true {
                let e = Self.error(Self.yaml(preset: preset, key: key, value: value))
                #expect(e == "config key '\(key)' must be between \(range.lowerBound) and \(range.upperBound), got \(value)",
                        "\(key) = \(value)")
            }
            let fraction = Self.error(Self.yaml(preset: preset, key: key, value: "2.5"))
            #expect(fraction == "config key '\(key)': expected an integer, got '2.5'")
        }
    }

    @Test func hiddenWidthsAndTheirNumberAreBounded() {
        #expect(Self.error("preset: sine-maml\nmodel: {hidden: [40, 4097]}\n")
                == "config key 'model.hidden[1]' must be between 1 and 4096, got 4097")
        #expect(Self.error("preset: sine-maml\nmodel: {hidden: [0]}\n") == "config key 'model.hidden[0]' must be between 1 and 4096, got 0")
        let seventeen = "[" + Array(repeating: "8", count: 17).joined(separator: ", ") + "]"
        #expect(Self.error("preset: sine-maml\nmodel: {hidden: \(seventeen)}\n")
                == "config key 'model.hidden' must list between 1 and 16 integers, got 17")
        // 16 layers of 4096 are 2.5·10⁸ parameters, more than the budget.
        let widest = "[" + Array(repeating: "4096", count: 16).joined(separator: ", ") + "]"
        #expect(Self.error("preset: sine-maml\nmodel: {hidden: \(widest)}\n")?.hasPrefix("config key 'model.hidden':") == true)
        #expect(Self.error("preset: sine-maml\nmodel: {hidden: [4096, 4096]}\n") == nil)
    }

    @Test func learningRatesMustBeFiniteAndInRange() {
        for bad in [".nan", ".inf", "-.inf", "1e400", "nan"] {
            #expect(Self.error("preset: sine-maml\ninner: {learning_rate: \(bad)}\n")?.hasPrefix("config key 'inner.learning_rate': expected a finite number") == true, "\(bad)")
        }
        #expect(Self.error("preset: sine-maml\ninner: {learning_rate: -0.1}\n")
                == "config key 'inner.learning_rate' must be between 0.0 and 1000.0, got -0.1")
        #expect(Self.error("preset: sine-maml\nouter: {learning_rate: 0}\n")
                == "config key 'outer.learning_rate' must be greater than 0.0 and at most 1000.0, got 0.0")
        #expect(Self.error("preset: sine-maml\nouter: {learning_rate: 1e6}\n")
                == "config key 'outer.learning_rate' must be greater than 0.0 and at most 1000.0, got 1000000.0")
        #expect(Self.error("preset: sine-maml\ninner: {learning_rate: 0}\nouter: {learning_rate: 1000}\n") == nil)
    }

    @Test func combinationsThatWouldAllocateAbsurdlyAreRefusedByName() {
        // Each value is in range; their product is not.
        let task = Self.error("preset: omniglot-5w1s-maml\ntasks: {family: synthetic-images, ways: 1000, shots: 500, queries: 500, size: 128}\n")
        #expect(task?.hasPrefix("config keys 'tasks.*' give tasks of 16384000000 input scalars") == true, "\(task ?? "")")
        let batch = Self.error("preset: omniglot-5w1s-maml\nmeta_batch: 10000\ntasks: {family: synthetic-images, ways: 20, shots: 10, queries: 10, size: 28}\n")
        #expect(batch?.hasPrefix("config key 'meta_batch': 10000 tasks × 313600 input scalars each") == true, "\(batch ?? "")")
        let sine = Self.error("preset: sine-maml\nmeta_batch: 10000\ntasks: {shots: 1000, queries: 1000}\nmodel: {hidden: [4096]}\n")
        #expect(sine?.hasPrefix("config keys 'meta_batch' × ('tasks.shots' + 'tasks.queries') × the widest 'model.hidden' layer") == true,
                "\(sine ?? "")")
    }

    @Test func omniglotWaysBeyondASplitsCharactersAreRefusedBeforeLoadingData() {
        let validation = Self.error("preset: omniglot-5w1s-maml\ntasks: {ways: 101}\n")
        #expect(validation?.hasPrefix("config key 'tasks.ways': 101-way Omniglot tasks need 101 characters; the validation split has 100") == true,
                "\(validation ?? "")")
        // ProtoNets trains with many ways and validates with few: only the training split bounds the training ways.
        #expect(Self.error("preset: omniglot-5w1s-protonet\ntasks: {ways: 1000}\n") == nil)
        let train = Self.error("preset: omniglot-5w1s-protonet\ntasks: {ways: 1000}\nevaluation_tasks: {ways: 200}\n")
        #expect(train?.hasPrefix("config key 'evaluation_tasks.ways': 200-way") == true, "\(train ?? "")")
    }

    @Test func theProtoNetEncoderRefusesImagesItWouldPoolToNothing() {
        // At 15 pixels the fourth 2×2 max-pool meets a 1×1 map and training traps; 16 trains.
        let yaml = { (size: Int) in
            "preset: omniglot-5w1s-protonet\ntasks: {family: synthetic-images, ways: 5, shots: 1, queries: 1, size: \(size)}\n"
                + "evaluation_tasks: {family: synthetic-images, ways: 5, shots: 1, queries: 1, size: 28}\n"
        }
        #expect(Self.error(yaml(15)) == "config key 'tasks.size': the protonet-encoder model halves images four times, so it needs at least 16 pixels, got 15")
        #expect(Self.error(yaml(16)) == nil)
    }

    @Test func everyPresetIsWithinTheRanges() throws {
        for (name, preset) in RunConfiguration.presets {
            #expect(try ConfigFile.parse(ConfigFile.yaml(preset)) == preset, "\(name)")
        }
    }
}
