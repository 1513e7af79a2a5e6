import Foundation

/// `metatrain bench`'s work: one workload by name, run and written out as text.
///
/// Workloads: the training ones (``TrainingBenchmark/workloads``: meta-training throughput on
/// synthetic inputs of the real shapes), `ops` (``OpsBenchmark``: per-op kernel throughput and
/// overhead) and `memory` (``MemoryBenchmark``: resident memory over many meta-iterations).
public struct Benchmark {
    /// Every workload name `run` accepts.
    public static let workloads = TrainingBenchmark.workloads + ["ops", "memory"]

    /// One of ``workloads``.
    public var workload: String
    /// For the training workloads: one of ``TrainingBenchmark/algorithms``.
    public var algorithm = "maml"
    /// Meta-iterations per timed window (training workloads; nil: about two seconds' worth) or
    /// in all (memory; nil: 1000).
    public var iterations: Int?
    /// Worker processes to measure through (training workloads; 0: this process).
    public var workers = 0
    /// Bounded staleness through the runtime (0: synchronous).
    public var staleness = 0
    /// Record and replay batched steps (training workloads).
    public var tracing = true
    /// OpenBLAS threads this process uses (the caller sets them).
    public var threads = 1

    public init(workload: String) { self.workload = workload }

    /// Runs the workload and returns what `bench` prints: its report as one pretty-printed JSON
    /// object with sorted keys when `json`, else its table.
    /// - Precondition: ``workload`` is one of ``workloads``.
    /// - Parameter progress: receives progress lines while it runs (nil: none).
    public func run(json: Bool, progress: ((String) -> Void)?) throws -> String {
        switch workload {
        case "memory": return try Self.output(try MemoryBenchmark(iterations: iterations ?? 1000).run(progress: progress), json: json, table: \.table)
        case "ops": return try Self.output(OpsBenchmark(threads: threads).run(progress: progress), json: json, table: \.table)
        default:
            var bench = TrainingBenchmark(workload: workload, algorithm: algorithm, threads: threads, iterations: iterations)
            bench.workers = workers
            bench.staleness = staleness
            bench.tracing = tracing
            return try Self.output(try bench.run(progress: progress), json: json, table: \.table)
        }
    }

    static func output<R: Encodable>(_ report: R, json: Bool, table: KeyPath<R, String>) throws -> String {
        guard json else { return report[keyPath: table] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }
}
