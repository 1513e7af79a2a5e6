import Foundation
import MetaTensor
import MetaAlgorithms
import MetaCluster
import MetaRuntime
import MetaTelemetry
import MetaTraining

/// `metatrain bench sine | omniglot-cnn | omniglot-cnn-20way`: meta-training throughput in one
/// process on synthetic inputs of the real shapes (the workload definitions are fixed; see
/// BENCHMARKS.md). The figure is the median over timed windows after a warm-up.
public struct TrainingBenchmark {
    /// The figures, in the `--json` key names.
    public struct Report: Codable, Sendable {
        public var workload: String, algorithm: String, threads: Int, parameters: Int
        public var metaBatch: Int
        public var metaIterationsPerSecond: Double
        public var tasksPerSecond: Double
        public var peakRssBytes: Int
        public var windows: [Double]
        /// Resident memory after each window: flat when nothing accumulates across iterations.
        public var windowResidentBytes: [Int]
        public var blasCore: String
        /// Worker processes (0: this process computes).
        public var workers: Int
        public var staleness: Int
        /// Whether batched steps were recorded and replayed (``TracedFunction``).
        public var tracing: Bool
        /// Through the runtime: the coordinator's own share of the iteration time (median of
        /// windows), and bytes on the wire per iteration (both directions).
        public var coordinatorFraction: Double?
        public var wireBytesPerIteration: Double?
        /// Episodes sampled per second (reinforcement-learning workloads: before and after each
        /// task's adaptation).
        public var rolloutsPerSecond: Double?
        /// Through the runtime: the coordinator's own seconds per iteration (median of windows),
        /// in wall time and in its thread's CPU time.
        public var coordinatorSecondsPerIteration: Double?
        public var coordinatorCPUSecondsPerIteration: Double?
        enum CodingKeys: String, CodingKey {
            case workload, algorithm, threads, parameters, metaBatch = "meta_batch"
            case metaIterationsPerSecond = "meta_iterations_per_second", tasksPerSecond = "tasks_per_second"
            case peakRssBytes = "peak_rss_bytes", windows = "window_meta_iterations_per_second", blasCore = "blas_core"
            case windowResidentBytes = "window_rss_bytes", workers, staleness, tracing
            case coordinatorFraction = "coordinator_fraction", wireBytesPerIteration = "wire_bytes_per_iteration"
            case rolloutsPerSecond = "rollouts_per_second"
            case coordinatorSecondsPerIteration = "coordinator_seconds_per_iteration"
            case coordinatorCPUSecondsPerIteration = "coordinator_cpu_seconds_per_iteration"
        }

        /// One line of text for `bench` without `--json`.
        public var table: String {
            "\(workload) \(algorithm): \(String(format: "%.3f", metaIterationsPerSecond)) meta-iterations/s "
                + "(\(String(format: "%.1f", tasksPerSecond)) tasks/s, meta-batch \(metaBatch)), \(parameters) parameters, "
                + "peak RSS \(mib(peakRssBytes)) MiB, \(threads) thread(s), OpenBLAS \(blasCore); windows: "
                + windows.map { String(format: "%.3f", $0) }.joined(separator: " ")
                + "; RSS after each window (MiB): " + windowResidentBytes.map(mib).joined(separator: " ")
                + (workers > 0 ? String(format: "; %d workers, coordinator %.2f%% of the iteration (%.2f ms), %.1f KiB on the wire per iteration",
                                        workers, 100 * (coordinatorFraction ?? 0), 1000 * (coordinatorSecondsPerIteration ?? 0),
                                        (wireBytesPerIteration ?? 0) / 1024) : "")
                + (rolloutsPerSecond.map { String(format: "; %.1f rollouts/s", $0) } ?? "")
        }
    }

    /// The training workloads by name.
    public static let workloads = ["sine", "omniglot-cnn", "omniglot-cnn-20way"] + learnerWorkloads.map(\.workload)
        + esWorkloads.map(\.workload)
    /// ES-MAML on the sine model (`sine-es-maml`) at populations of 2N perturbations (N pairs =
    /// the meta-batch), with the estimate formed on the coordinator or (`-workers-sum`) by the
    /// workers: the coordinator's time per iteration as the population grows.
    public static let esWorkloads: [(workload: String, population: Int, sumOnWorkers: Bool)] =
        [128, 256, 1024, 4096].flatMap { [("es-maml-\($0)", $0, false), ("es-maml-\($0)-workers-sum", $0, true)] }
    /// The workloads of one learner each: its preset (``preset``) on synthetic tasks of the same
    /// shapes (images for Omniglot, sequence episodes for Omniglot sequences; navigation reads no
    /// data set and runs its preset's own tasks); the algorithm is the preset's, so `--algorithm`
    /// does not apply.
    public static let learnerWorkloads: [(workload: String, preset: String)] = [
        ("relationnet", "omniglot-5w1s-relationnet"), ("metalstm", "omniglot-5w1s-metalstm"),
        ("mann", "omniglot-5class-mann"), ("mann-lstm", "omniglot-5class-lstm"),
        ("navigation", "navigation-maml-trpo"),
    ]
    /// `maml` (second order) or `fomaml`.
    public static let algorithms = ["maml", "fomaml"]

    /// The workload's configuration, exactly as the benchmark definition states it.
    public static func configuration(_ workload: String, algorithm: String) -> RunConfiguration {
        if let es = esWorkloads.first(where: { $0.workload == workload }) {
            var c = RunConfiguration.presets["sine-es-maml"]!
            c.metaBatchSize = es.population / 2
            c.perturbationSumOnWorkers = es.sumOnWorkers
            c.name = workload
            return c
        }
        if let preset = learnerWorkloads.first(where: { $0.workload == workload })?.preset {
            var c = RunConfiguration.presets[preset]!
            if let o = c.family.as(OmniglotFamily.self) {
                c.family = .syntheticImages(ways: o.ways, shots: o.shots, queries: o.queries, size: 28)
            } else if let o = c.family.as(OmniglotSequencesFamily.self) {
                c.family = RunConfiguration.Family(SyntheticSequencesFamily(ways: o.ways, shots: o.shots, size: o.size))
            }
            c.architecture = c.architecture.fitted(to: c.family)
            c.name = workload
            return c
        }
        var c = RunConfiguration.presets["sine-maml"]!
        c.algorithm = .maml
        switch workload {
        case "sine":
            // MLP 1→40→40→1 ReLU, K=10 support + 10 query, 1 inner SGD step α=0.01, meta-batch 25, Adam 0.001.
            c.inner = InnerLoop(steps: 1, learningRate: 0.01)
            c.metaBatchSize = 25
            c.outerOptimizer = .adam(learningRate: 0.001)
        default:
            // The Omniglot CNN of the MAML reference code, 28×28, N-way 1-shot, one support and
            // one query image per class, 1 inner step α=0.4, Adam 0.003; meta-batch 32 (5-way) or 16 (20-way).
            let ways = workload == "omniglot-cnn" ? 5 : 20
            c.family = .syntheticImages(ways: ways, shots: 1, queries: 1, size: 28)
            c.architecture = .omniglotCNN(ways: ways)
            c.inner = InnerLoop(steps: 1, learningRate: 0.4)
            c.metaBatchSize = ways == 5 ? 32 : 16
            c.outerOptimizer = .adam(learningRate: 0.003)
        }
        c.inner.firstOrder = algorithm == "fomaml"
        c.name = workload
        return c
    }

    /// One of ``workloads``.
    public let workload: String
    /// One of ``algorithms`` (ignored by ``learnerWorkloads``).
    public let algorithm: String

    /// The algorithm a report names: the preset's learner for ``learnerWorkloads``.
    static func algorithmName(_ workload: String, _ algorithm: String) -> String {
        learnerWorkloads.contains { $0.workload == workload } || esWorkloads.contains { $0.workload == workload }
            ? configuration(workload, algorithm: algorithm).algorithm.rawValue : algorithm
    }
    /// OpenBLAS threads (of this process, or of each worker).
    public let threads: Int
    /// Worker processes to measure through (0: in this process).
    public var workers = 0
    /// Bounded staleness through the runtime (0: synchronous).
    public var staleness = 0
    /// Record and replay batched steps (off: eager every time; the same bits).
    public var tracing = true
    /// Meta-iterations per timed window (nil: about two seconds' worth).
    public let iterations: Int?
    /// Timed windows after the warm-up; the figure is their median.
    public let windows = 5

    /// - Precondition: `workload` is one of ``workloads`` and `algorithm` one of ``algorithms``.
    public init(workload: String, algorithm: String, threads: Int, iterations: Int?) {
        self.workload = workload
        self.algorithm = algorithm
        self.threads = threads
        self.iterations = iterations
    }

    /// Runs one warm-up iteration, then ``windows`` timed windows, and reports the median rate.
    /// With ``workers`` > 0, the iterations go through a coordinator and that many worker
    /// processes of this executable (``LocalCluster``), shut down before returning.
    /// - Parameter progress: receives one line before the timed windows.
    /// - Throws: when the trainer cannot be built or the runtime fails.
    public func run(progress: ((String) -> Void)?) throws -> Report {
        let config = Self.configuration(workload, algorithm: algorithm)
        let trainer = try MetaTrainer<Float>(configuration: config, tracing: tracing)
        var state = trainer.initialState()
        var coordinator: Coordinator?
        var cluster: LocalCluster?
        var channel: PrivateEndpoint?
        defer {
            coordinator?.shutdown(reason: "benchmark finished", finished: true)
            cluster?.wait()
            channel?.remove()
        }
        var busy = 0.0, wall = 0.0, bytes = 0, cpu = 0.0
        var step: (MetaTrainer<Float>.State) throws -> MetaTrainer<Float>.State = { trainer.step($0).0 }
        if workers > 0 {
            let private_ = try PrivateEndpoint()
            channel = private_
            var options = Coordinator.Options(bind: private_.endpoint, minWorkers: workers,
                                              heartbeat: HeartbeatSettings(interval: 1, timeout: 30), identity: BuildInfo.identity,
                                              log: logLine("coordinator"))
            options.staleness = staleness
            let c = Coordinator(trainer: trainer, options: options)
            let endpoint = try c.bind()
            cluster = try LocalCluster(workers: workers, endpoint: endpoint, threads: threads,
                                       heartbeat: HeartbeatSettings(interval: 1, timeout: 30))
            coordinator = c
            step = { s in
                guard let (next, report) = try c.iterate(s) else { throw RunError("interrupted") }
                busy += report.coordinatorSeconds; wall += report.seconds; cpu += report.coordinatorCPUSeconds
                bytes += report.bytesReceived + report.bytesSent
                return next
            }
        }
        // Warm-up (also calibrates the window length).
        let warm = try Stopwatch.seconds { state = try step(state) }
        let perWindow = iterations ?? max(1, Int(2.0 / max(warm, 1e-6)))
        progress?("\(workload) \(Self.algorithmName(workload, algorithm)): \(windows) windows of \(perWindow) meta-iterations after a warm-up"
                  + (workers > 0 ? ", through \(workers) worker process(es)…" : "…"))
        var rates: [Double] = [], resident: [Int] = [], fractions: [Double] = [], coordinatorSeconds: [Double] = [], cpuSeconds: [Double] = []
        var totalBytes = 0, totalIterations = 0
        for _ in 0..<windows {
            busy = 0; wall = 0; bytes = 0; cpu = 0
            let t = try Stopwatch.seconds { for _ in 0..<perWindow { state = try step(state) } }
            rates.append(Double(perWindow) / t)
            resident.append(ProcessMemory.residentBytes)
            fractions.append(busy / max(wall, 1e-9))
            coordinatorSeconds.append(busy / Double(perWindow))
            cpuSeconds.append(cpu / Double(perWindow))
            totalBytes += bytes; totalIterations += perWindow
        }
        let median = Stopwatch.median(rates)
        return Report(workload: workload, algorithm: Self.algorithmName(workload, algorithm), threads: threads, parameters: state.parameters.scalarCount,
                      metaBatch: config.metaBatchSize, metaIterationsPerSecond: median,
                      tasksPerSecond: median * Double(config.metaBatchSize), peakRssBytes: ProcessMemory.peakResidentBytes,
                      windows: rates, windowResidentBytes: resident, blasCore: BLASRuntime.coreName, workers: workers, staleness: staleness, tracing: tracing,
                      coordinatorFraction: workers > 0 ? Stopwatch.median(fractions) : nil,
                      wireBytesPerIteration: workers > 0 ? Double(totalBytes) / Double(max(totalIterations, 1)) : nil,
                      rolloutsPerSecond: config.family.as(NavigationFamily.self).map {
                          median * Double(config.metaBatchSize * $0.episodes * (config.inner.steps + 1))
                      },
                      coordinatorSecondsPerIteration: workers > 0 ? Stopwatch.median(coordinatorSeconds) : nil,
                      coordinatorCPUSecondsPerIteration: workers > 0 ? Stopwatch.median(cpuSeconds) : nil)
    }
}
