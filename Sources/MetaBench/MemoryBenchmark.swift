import Foundation
import MetaTensor
import MetaAlgorithms

/// `metatrain bench memory`: resident memory over many meta-iterations. Each task's graph
/// (inner loop and second-order sweep) must be released once its meta-gradient is taken, so
/// RSS must stay flat however many iterations run.
public struct MemoryBenchmark {
    /// Resident memory after an iteration.
    public struct Sample: Codable, Sendable { public var iteration: Int; public var residentBytes: Int }
    /// One workload's samples.
    public struct Run: Codable, Sendable {
        public var workload: String, iterations: Int, metaBatch: Int
        public var samples: [Sample]
        public var peakResidentBytes: Int
        /// RSS at the end minus RSS after the first tenth of the run.
        public var growthBytes: Int
    }
    /// Both workloads' runs.
    public struct Report: Codable, Sendable {
        public var runs: [Run]
        /// Two lines per workload for `bench memory` without `--json`.
        public var table: String {
            var lines = [String]()
            for r in runs {
                lines.append("\(r.workload): \(r.iterations) iterations, meta-batch \(r.metaBatch), peak RSS \(mib(r.peakResidentBytes)) MiB, "
                             + "growth after the first tenth \(mib(r.growthBytes)) MiB")
                lines.append("  " + r.samples.map { "\($0.iteration): \(mib($0.residentBytes))" }.joined(separator: "  "))
            }
            return lines.joined(separator: "\n")
        }
    }

    /// Meta-iterations of each workload.
    public var iterations: Int

    public init(iterations: Int) { self.iterations = iterations }

    /// Trains the sinusoid MLP and the 5-way Omniglot CNN (synthetic images, meta-batch 4) for
    /// ``iterations`` each, sampling resident memory every tenth of the run.
    /// - Parameter progress: receives one line per workload.
    public func run(progress: ((String) -> Void)?) throws -> Report {
        var sine = RunConfiguration.presets["sine-maml"]!
        sine.iterations = iterations
        var cnn = sine
        cnn.name = "omniglot-cnn-maml (synthetic 5-way 1-shot)"
        cnn.family = .syntheticImages(ways: 5, shots: 1, queries: 1, size: 28)
        cnn.architecture = .omniglotCNN(ways: 5)
        cnn.inner = InnerLoop(steps: 1, learningRate: 0.4)
        cnn.metaBatchSize = 4
        return Report(runs: [try measure(sine, progress: progress), try measure(cnn, progress: progress)])
    }

    func measure(_ config: RunConfiguration, progress: ((String) -> Void)?) throws -> Run {
        progress?("\(config.name): \(config.iterations) iterations…")
        let trainer = try MetaTrainer<Float>(configuration: config)
        var state = trainer.initialState()
        var samples: [Sample] = []
        let every = max(1, config.iterations / 10)
        while state.iteration < config.iterations {
            state = trainer.step(state).0
            if state.iteration % every == 0 { samples.append(Sample(iteration: state.iteration, residentBytes: ProcessMemory.residentBytes)) }
        }
        let growth = (samples.last?.residentBytes ?? 0) - (samples.first?.residentBytes ?? 0)
        return Run(workload: config.name, iterations: config.iterations, metaBatch: config.metaBatchSize, samples: samples,
                   peakResidentBytes: ProcessMemory.peakResidentBytes, growthBytes: growth)
    }
}

/// `bytes` in MiB with one decimal.
func mib(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }
