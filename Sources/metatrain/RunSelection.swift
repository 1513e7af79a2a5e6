import ArgumentParser
import MetaAlgorithms
import MetaTraining

/// `--config FILE | --preset NAME`, shared by the commands that start a run.
struct RunSelection: ParsableArguments {
    @Option(name: .long, help: "A YAML run configuration (see README).")
    var config: String?

    @Option(name: .long, help: "A named configuration: \(RunConfiguration.presets.keys.sorted().joined(separator: ", ")).")
    var preset: String?

    func validate() throws {
        if config != nil && preset != nil { throw ValidationError("give either --config or --preset, not both") }
        if let preset, RunConfiguration.presets[preset] == nil {
            throw ValidationError("unknown preset '\(preset)'; available: \(RunConfiguration.presets.keys.sorted().joined(separator: ", "))")
        }
    }

    /// The selected configuration (`sine-maml` when neither option is given).
    func load() throws -> RunConfiguration { try RunConfiguration.load(file: config, preset: preset) }
}
