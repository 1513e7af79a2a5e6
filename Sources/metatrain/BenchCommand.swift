import ArgumentParser
import Foundation
import MetaTensor
import MetaAutodiff

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput.",
        discussion: "Workloads: ops (per-op kernel throughput and overhead), memory (resident memory over many meta-iterations).")

    @Argument(help: "The workload: ops or memory.")
    var workload: String

    @Option(name: .long, help: "Meta-iterations for the memory workload.")
    var iterations: Int = 1000

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard ["ops", "memory"].contains(workload) else {
            throw ValidationError("unknown workload '\(workload)'; expected one of: ops, memory")
        }
        guard iterations >= 10 else { throw ValidationError("--iterations must be at least 10, got \(iterations)") }
    }

    func run() throws {
        compute.apply()
        let progress: ((String) -> Void)? = json ? nil : { print($0) }
        switch workload {
        case "memory": try emit(MemoryBenchmark(iterations: iterations).run(progress: progress), table: \.table)
        default: try emit(OpsBenchmark(threads: compute.threads).run(progress: progress), table: \.table)
        }
    }

    func emit<R: Encodable>(_ report: R, table: KeyPath<R, String>) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report[keyPath: table])
        }
    }
}
