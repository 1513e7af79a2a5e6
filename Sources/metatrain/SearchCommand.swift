import ArgumentParser
import Foundation
import MetaConfig
import MetaSearch
import MetaTraining

/// `metatrain search --config search.yaml [--resume]`: a search of learners by regularized
/// evolution and random search (``SearchRun``), in this process.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search encoder architectures and learners by regularized evolution against random search at the same budget.",
        discussion: """
            Each candidate (encoder blocks, filters, kernel, downsampling, normalization; learner, inner steps, \
            inner and outer learning rates) is meta-trained briefly and scored on the validation split. The run \
            directory holds search.yaml, candidates.jsonl (one record per candidate: genome, fitness, wall time), \
            search-state.json (checkpointed atomically after each candidate) and best.yaml (the fittest candidate \
            at the base's full budget: metatrain train --config best.yaml). The history is a function of the \
            configuration and the seed: a search killed and resumed gives the same records.


            """ + EnvironmentOptions.help(for: "search"))

    @Option(name: .long, help: "The search configuration (YAML; see examples/search-omniglot.yaml).")
    var config: String

    @Option(name: .long, help: "The search's directory (default: runs/search-NAME).")
    var runDir: String?

    @Option(name: .long, help: "The search seed (default: the configuration's).")
    var seed: UInt64?

    @Flag(name: .long, help: "Continue the search in the run directory from its last checkpointed candidate.")
    var resume = false

    @OptionGroup var compute: ComputeOptions

    @Option(name: .long, help: .hidden)
    var faultKillCandidate: Int?

    func validate() throws {
        if let seed, seed > UInt64(ConfigLimits.seed.upperBound) {
            throw ValidationError("--seed must be between \(ConfigLimits.seed.lowerBound) and \(ConfigLimits.seed.upperBound), got \(seed)")
        }
    }

    func run() throws {
        compute.apply()
        let text: String
        do { text = try String(contentsOfFile: config, encoding: .utf8) } catch {
            throw RunError("cannot read --config \(config): \(error.localizedDescription)")
        }
        do {
            var search = try SearchConfigFile.parse(text)
            if let seed { search.seed = seed }
            let directory = URL(fileURLWithPath: runDir ?? "runs/search-\(search.name)")
            let run = SearchRun(configuration: search, configurationText: text, directory: directory, faultKillAfter: faultKillCandidate)
            let states = try run.run(resume: resume)
            for s in states {
                if let b = s.best { print("\(s.method.rawValue): best fitness \(String(format: "%.4f", b.fitness)) (candidate \(b.index)): \(b.genome)") }
            }
            print("wrote \(directory.appendingPathComponent(SearchRun.bestFile).path): metatrain train --config it to retrain the best at full budget")
        } catch let e as SearchError {
            throw RunError(e.description)
        } catch let e as RunError {
            throw e
        } catch {
            throw RunError.taskFamily(error)
        }
    }
}
