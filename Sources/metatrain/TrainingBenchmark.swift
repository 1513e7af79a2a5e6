import MetaTensor
import MetaAlgorithms

/// `metatrain bench sine | omniglot-cnn | omniglot-cnn-20way`: meta-training throughput in one
/// process on synthetic inputs of the real shapes (the workload definitions are fixed; see
/// BENCHMARKS.md). The figure is the median over timed windows after a warm-up.
struct TrainingBenchmark {
    struct Report: Codable {
        var workload: String, algorithm: String, threads: Int, parameters: Int
        var metaBatch: Int
        var metaIterationsPerSecond: Double
        var tasksPerSecond: Double
        var peakRssBytes: Int
        var windows: [Double]
        /// Resident memory after each window: flat when nothing accumulates across iterations.
        var windowResidentBytes: [Int]
        var blasCore: String
        enum CodingKeys: String, CodingKey {
            case workload, algorithm, threads, parameters, metaBatch = "meta_batch"
            case metaIterationsPerSecond = "meta_iterations_per_second", tasksPerSecond = "tasks_per_second"
            case peakRssBytes = "peak_rss_bytes", windows = "window_meta_iterations_per_second", blasCore = "blas_core"
            case windowResidentBytes = "window_rss_bytes"
        }

        var table: String {
            "\(workload) \(algorithm): \(String(format: "%.3f", metaIterationsPerSecond)) meta-iterations/s "
                + "(\(String(format: "%.1f", tasksPerSecond)) tasks/s, meta-batch \(metaBatch)), \(parameters) parameters, "
                + "peak RSS \(mib(peakRssBytes)) MiB, \(threads) thread(s), OpenBLAS \(blasCore); windows: "
                + windows.map { String(format: "%.3f", $0) }.joined(separator: " ")
                + "; RSS after each window (MiB): " + windowResidentBytes.map(mib).joined(separator: " ")
        }
    }

    static let workloads = ["sine", "omniglot-cnn", "omniglot-cnn-20way"]
    static let algorithms = ["maml", "fomaml"]

    /// The workload's configuration, exactly as the benchmark definition states it.
    static func configuration(_ workload: String, algorithm: String) -> RunConfiguration {
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

    let workload: String, algorithm: String, threads: Int
    /// Meta-iterations per timed window (nil: about two seconds' worth).
    let iterations: Int?
    let windows = 5

    func run(progress: ((String) -> Void)?) throws -> Report {
        let config = Self.configuration(workload, algorithm: algorithm)
        let trainer = try MetaTrainer<Float>(configuration: config)
        var state = trainer.initialState()
        // Warm-up (also calibrates the window length).
        let warm = Stopwatch.seconds { state = trainer.step(state).0 }
        let perWindow = iterations ?? max(1, Int(2.0 / max(warm, 1e-6)))
        progress?("\(workload) \(algorithm): \(windows) windows of \(perWindow) meta-iterations after a warm-up…")
        var rates: [Double] = [], resident: [Int] = []
        for _ in 0..<windows {
            let t = Stopwatch.seconds { for _ in 0..<perWindow { state = trainer.step(state).0 } }
            rates.append(Double(perWindow) / t)
            resident.append(ProcessMemory.residentBytes)
        }
        let median = Stopwatch.median(rates)
        return Report(workload: workload, algorithm: algorithm, threads: threads, parameters: state.parameters.scalarCount,
                      metaBatch: config.metaBatchSize, metaIterationsPerSecond: median,
                      tasksPerSecond: median * Double(config.metaBatchSize), peakRssBytes: ProcessMemory.peakResidentBytes,
                      windows: rates, windowResidentBytes: resident, blasCore: BLASRuntime.coreName)
    }
}

import Foundation
