import Testing
import MetaTelemetry

/// The Prometheus families of a run, against the naming conventions
/// (https://prometheus.io/docs/practices/naming/) and the exposition format.
@Suite struct TrainingMetricsTests {
    static func metrics(metric: String = "accuracy", isFraction: Bool = true) -> TrainingMetrics {
        let m = TrainingMetrics(metric: metric, isFraction: isFraction, version: "9.8.7", commit: "0123456789ab")
        m.iteration(7, tasks: 25, metaLoss: 0.5, trainMetric: 0.75, tasksPerSecond: 100, liveWorkers: 2, coordinatorFraction: 0.1,
                    reassignedShards: 1, rejectedMessages: 0)
        m.validation(0.625)
        m.checkpoint(stallSeconds: 0.01, bytes: 4096)
        return m
    }

    /// The value of the sample line `name value` (labels included in `name`).
    static func sample(_ text: String, _ name: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last!) }
    }

    @Test func everyFamilyHasHelpAndTypeLines() {
        let text = Self.metrics().exposition()
        let lines = text.split(separator: "\n")
        let families = Set(lines.filter { !$0.hasPrefix("#") }.map { String($0.prefix { $0 != " " && $0 != "{" }) })
        #expect(families.count >= 16)
        for family in families {
            #expect(lines.contains { $0.hasPrefix("# HELP \(family) ") && $0.count > "# HELP \(family) ".count + 10 }, "\(family): no HELP")
            #expect(lines.contains { $0 == "# TYPE \(family) gauge" || $0 == "# TYPE \(family) counter" }, "\(family): no TYPE")
        }
    }

    @Test func countersEndInTotalAndOnlyCountersDo() {
        let lines = Self.metrics().exposition().split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }
        for line in lines {
            let parts = line.split(separator: " ")
            #expect(parts[2].hasSuffix("_total") == (parts[3] == "counter"), "\(line)")
        }
        #expect(lines.contains("# TYPE metatrain_tasks_total counter"))
        #expect(lines.contains("# TYPE metatrain_iterations_total counter"))
    }

    @Test func aFractionMetricsFamiliesEndInRatioAndOthersAreNamedAfterTheMetric() {
        let accuracy = Self.metrics().exposition()
        #expect(Self.sample(accuracy, "metatrain_train_accuracy_ratio") == 0.75)
        #expect(Self.sample(accuracy, "metatrain_validation_accuracy_ratio") == 0.625)
        #expect(Self.sample(accuracy, "metatrain_coordinator_time_ratio") == 0.1)
        let mse = Self.metrics(metric: "mse", isFraction: false).exposition()
        #expect(Self.sample(mse, "metatrain_train_mse") == 0.75)
        #expect(Self.sample(mse, "metatrain_validation_mse") == 0.625)
        #expect(!mse.contains("mse_ratio"))
        #expect(TrainingMetrics.familyName(prefix: "metatrain_train", metric: "Top-1 acc", isFraction: true) == "metatrain_train_top_1_acc_ratio")
    }

    @Test func buildInfoIsOneWithTheVersionAndCommitLabels() {
        let text = Self.metrics().exposition()
        let line = text.split(separator: "\n").first { $0.hasPrefix("metatrain_build_info{") }
        #expect(line?.contains("version=\"9.8.7\"") == true && line?.contains("commit=\"0123456789ab\"") == true, "\(text)")
        #expect(line?.hasSuffix("} 1.0") == true || line?.hasSuffix("} 1") == true, "\(line ?? "")")
    }

    @Test func iterationsAndTasksCountUpWhileTheIterationGaugeFollowsTheRun() {
        let m = Self.metrics()
        m.iteration(8, tasks: 25, metaLoss: 0.4, trainMetric: 0.8, tasksPerSecond: nil, liveWorkers: nil, coordinatorFraction: nil,
                    reassignedShards: 0, rejectedMessages: 3)
        let text = m.exposition()
        #expect(Self.sample(text, "metatrain_iterations_total") == 2)
        #expect(Self.sample(text, "metatrain_tasks_total") == 50)
        #expect(Self.sample(text, "metatrain_iteration") == 8)
        #expect(Self.sample(text, "metatrain_rejected_messages_total") == 3)
        #expect(Self.sample(text, "metatrain_reassigned_shards_total") == 1)
        #expect(Self.sample(text, "metatrain_checkpoints_total") == 1)
        #expect(Self.sample(text, "metatrain_checkpoint_bytes") == 4096)
    }
}
