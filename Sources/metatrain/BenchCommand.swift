import ArgumentParser
import Foundation
import MetaTensor
import MetaAutodiff

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput.",
        discussion: "Workloads: ops (per-op kernel throughput and overhead).")

    @Argument(help: "The workload: ops.")
    var workload: String

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard ["ops"].contains(workload) else {
            throw ValidationError("unknown workload '\(workload)'; expected one of: ops")
        }
    }

    func run() throws {
        compute.apply()
        let report = OpsBenchmark(threads: compute.threads).run(progress: json ? nil : { print($0) })
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.table)
        }
    }
}
