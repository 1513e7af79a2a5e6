import Foundation
import Testing
import MetaBench
import MetaNN
import MetaAlgorithms

/// The benchmark workloads on tiny runs: their figures are there and consistent with each other
/// (no figure's size is asserted: these are not timing tests).
@Suite(.serialized) struct BenchmarkTests {
    @Test func theSineWorkloadReportsItsRatesAndPeakMemory() throws {
        let report = try TrainingBenchmark(workload: "sine", algorithm: "maml", threads: 1, iterations: 1).run(progress: nil)
        #expect(report.workload == "sine" && report.algorithm == "maml")
        #expect(report.metaBatch == 25)
        #expect(report.windows.count == 5 && report.windowResidentBytes.count == 5)
        #expect(report.metaIterationsPerSecond > 0 && report.metaIterationsPerSecond.isFinite)
        #expect(report.metaIterationsPerSecond == report.windows.sorted()[2])
        #expect(report.tasksPerSecond == report.metaIterationsPerSecond * 25)
        #expect(report.peakRssBytes > 0)
        #expect(report.parameters == 1 * 40 + 40 + 40 * 40 + 40 + 40 * 1 + 1)
        #expect(report.workers == 0 && report.coordinatorFraction == nil && report.wireBytesPerIteration == nil)
    }

    @Test func theJSONOutputHasTheDocumentedKeys() throws {
        var bench = Benchmark(workload: "sine")
        bench.iterations = 1
        bench.algorithm = "fomaml"
        let text = try bench.run(json: true, progress: nil)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        for key in ["meta_iterations_per_second", "tasks_per_second", "peak_rss_bytes", "window_meta_iterations_per_second",
                    "window_rss_bytes", "meta_batch", "blas_core", "parameters", "tracing"] {
            #expect(object[key] != nil, "no \(key) in \(text)")
        }
        #expect(object["algorithm"] as? String == "fomaml")
        #expect((object["peak_rss_bytes"] as? Int ?? 0) > 0)
    }

    @Test func theTableOutputIsOneLineNamingWorkloadAndAlgorithm() throws {
        var bench = Benchmark(workload: "sine")
        bench.iterations = 1
        let progress = Lines()
        let text = try bench.run(json: false, progress: progress.append)
        #expect(text.hasPrefix("sine maml: "))
        #expect(text.contains(" meta-iterations/s (") && text.contains(" tasks/s, meta-batch 25)"))
        #expect(!text.contains("\n"))
        #expect(progress.all == ["sine maml: 5 windows of 1 meta-iterations after a warm-up…"])
    }

    @Test func theMemoryWorkloadSamplesEveryTenthOfTheRun() throws {
        let report = try MemoryBenchmark(iterations: 10).run(progress: nil)
        #expect(report.runs.count == 2)
        for run in report.runs {
            #expect(run.iterations == 10)
            #expect(run.samples.map(\.iteration) == Array(1...10))
            #expect(run.samples.allSatisfy { $0.residentBytes > 0 })
            // Not compared with the samples: the kernel updates the high-water mark lazily.
            #expect(run.peakResidentBytes > 0)
            #expect(run.growthBytes == run.samples.last!.residentBytes - run.samples.first!.residentBytes)
        }
    }

    @Test func everyWorkloadHasAConfigurationOfItsOwn() {
        let es = [128, 256, 1024, 4096].flatMap { ["es-maml-\($0)", "es-maml-\($0)-workers-sum"] }
        #expect(Benchmark.workloads == ["sine", "omniglot-cnn", "omniglot-cnn-20way", "relationnet", "metalstm", "mann", "mann-lstm",
                                        "navigation"] + es + ["ops", "memory"])
        let batches = TrainingBenchmark.workloads.map { TrainingBenchmark.configuration($0, algorithm: "maml").metaBatchSize }
        #expect(batches == [25, 32, 16, 1, 1, 16, 16, 20, 64, 64, 128, 128, 512, 512, 2048, 2048])
        // ES-MAML's population is twice its pairs (the meta-batch); the sine model of `sine`.
        for name in es {
            let c = TrainingBenchmark.configuration(name, algorithm: "maml")
            #expect(c.algorithm == .esMAML && c.architecture == TrainingBenchmark.configuration("sine", algorithm: "maml").architecture)
            #expect(c.perturbationSumOnWorkers == name.hasSuffix("workers-sum"), "\(name)")
        }
        #expect(TrainingBenchmark.configuration("sine", algorithm: "fomaml").inner.firstOrder)
        #expect(!TrainingBenchmark.configuration("sine", algorithm: "maml").inner.firstOrder)
    }

    /// A learner's workload is its preset's shapes on synthetic tasks (navigation, which reads no
    /// data set, is its preset's own tasks), and names the preset's learner.
    @Test func aLearnerWorkloadIsItsPresetOnSyntheticTasks() throws {
        for (workload, preset) in TrainingBenchmark.learnerWorkloads {
            let c = TrainingBenchmark.configuration(workload, algorithm: "fomaml"), p = RunConfiguration.presets[preset]!
            #expect(c.algorithm == p.algorithm && c.inner == p.inner && c.metaBatchSize == p.metaBatchSize, "\(workload)")
            #expect(c.family.spec.taskScalars == p.family.spec.taskScalars, "\(workload): same shapes")
            #expect(c.family.spec.shape == p.family.spec.shape, "\(workload)")
            #expect(c.family != p.family || p.family.as(NavigationFamily.self) != nil, "\(workload)")
            #expect(c.model.initialParameters(seed: 1, as: Float.self).scalarCount
                    == p.model.initialParameters(seed: 1, as: Float.self).scalarCount, "\(workload)")
        }
        let report = try TrainingBenchmark(workload: "mann-lstm", algorithm: "maml", threads: 1, iterations: 1).run(progress: nil)
        #expect(report.algorithm == "mann" && report.tasksPerSecond > 0 && report.peakRssBytes > 0)
    }
}

/// Medians and the process's memory figures.
@Suite struct StopwatchTests {
    @Test func theMedianIsTheMiddleValueOrTheMeanOfTheMiddleTwo() {
        #expect(Stopwatch.median([3, 1, 2]) == 2)
        #expect(Stopwatch.median([4, 1, 3, 2]) == 2.5)
        #expect(Stopwatch.median([]) == 0)
    }

    @Test func calibrationRunsTheBodyAndAsksForAtLeastOneRepetition() {
        var runs = 0
        let repetitions = Stopwatch.calibrate(target: 0) { runs += 1 }
        #expect(runs == 1)
        #expect(repetitions == 1)
    }

    @Test func theResidentSizesAreReadFromProcSelfStatus() {
        #expect(ProcessMemory.residentBytes > 0)
        #expect(ProcessMemory.peakResidentBytes > 0)
    }
}

/// Lines collected from a callback.
final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
