import ArgumentParser
import MetaBench

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput.",
        discussion: """
            Workloads: sine, omniglot-cnn, omniglot-cnn-20way, relationnet, metalstm, mann, mann-lstm (meta-training throughput on synthetic inputs of \
            the real shapes; --algorithm maml or fomaml for the first three), navigation (MAML-TRPO on 2-D navigation: \
            meta-iterations and rollouts per second), ops (per-op kernel throughput and overhead), \
            memory (resident memory over many meta-iterations).
            """)

    @Argument(help: "The workload: sine, omniglot-cnn, omniglot-cnn-20way (MAML), relationnet, metalstm, mann, mann-lstm (their presets' shapes on synthetic data), navigation (its preset), ops or memory.")
    var workload: String

    @Option(name: .long, help: "maml (second order) or fomaml, for the MAML training workloads.")
    var algorithm: String = "maml"

    @Option(name: .long, help: "Meta-iterations per timed window (training workloads) or in all (memory; default 1000).")
    var iterations: Int?

    @Option(name: .long, help: "Measure through the distributed runtime with N local worker processes (training workloads; 0: in this process).")
    var workers: Int = 0

    @Option(name: .long, help: "With --workers: bounded-staleness asynchronous mode (0: synchronous).")
    var staleness: Int = 0

    @Flag(name: .long, inversion: .prefixedNo,
          help: "Record batched steps and replay them (--no-tracing: run them eagerly every time; the same bits).")
    var tracing = true

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard Benchmark.workloads.contains(workload) else {
            throw ValidationError("unknown workload '\(workload)'; expected one of: \(Benchmark.workloads.joined(separator: ", "))")
        }
        guard TrainingBenchmark.algorithms.contains(algorithm) else {
            throw ValidationError("unknown algorithm '\(algorithm)'; expected maml or fomaml")
        }
        guard workers >= 0 && workers <= 256 else { throw ValidationError("--workers must be between 0 and 256, got \(workers)") }
        if let iterations, iterations < 1 { throw ValidationError("--iterations must be at least 1, got \(iterations)") }
    }

    func run() throws {
        compute.apply()
        var bench = Benchmark(workload: workload)
        bench.algorithm = algorithm
        bench.iterations = iterations
        bench.workers = workers
        bench.staleness = staleness
        bench.tracing = tracing
        bench.threads = compute.threads
        print(try bench.run(json: json, progress: json ? nil : { print($0) }))
    }
}
