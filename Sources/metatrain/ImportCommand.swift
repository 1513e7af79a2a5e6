import ArgumentParser
import Foundation
import MetaTensor
import MetaNN
import MetaAlgorithms
import MetaCheckpoint
import MetaTelemetry
import MetaTraining

/// `metatrain import --format safetensors IN (--config FILE | --preset NAME | --like CHECKPOINT) --out FILE.ckpt`:
/// weights from another tool as a checkpoint that `eval` reads.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn a weight file (safetensors) into a checkpoint for a run configuration.",
        discussion: """
            Every tensor must be F32 and match the configuration's model by name and shape; the first \
            mismatch is reported. The order is the file's metatrain.parameter_order metadata when present \
            (it must then be the model's order), else the model's. The checkpoint has no optimizer state: \
            evaluate it with `metatrain eval --checkpoint`; training from it starts a new optimizer.
            """)

    @Option(name: .long, help: "The input format: \(ExportCommand.Format.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: ExportCommand.Format

    @Argument(help: "The weight file to read.")
    var input: String

    @OptionGroup var selection: RunSelection

    @Option(name: .long, help: "Use the configuration of this checkpoint file or run directory.")
    var like: String?

    @Option(name: .long, help: "The checkpoint file to write.")
    var out: String

    @Option(name: .long, help: "The checkpoint's iteration (default: the file's metatrain.iteration, else 0).")
    var iteration: Int?

    func validate() throws {
        let given = [selection.config, selection.preset, like].compactMap { $0 }.count
        guard given == 1 else { throw ValidationError("give exactly one of --config, --preset and --like") }
        if let iteration, !(0...RunCheckpoint.maximumIteration).contains(iteration) {
            throw ValidationError("--iteration must be between 0 and \(RunCheckpoint.maximumIteration), got \(iteration)")
        }
    }

    func run() throws {
        let config: RunConfiguration
        if let like {
            let (checkpoint, file) = try ExportCommand.loadCheckpoint(like)
            do { config = try checkpoint.configuration() } catch { throw RunError("the configuration of \(file.path): \(error)") }
        } else {
            config = try selection.load()
        }

        let url = URL(fileURLWithPath: input)
        let file: (parameters: Parameters<Tensor<Float>>, metadata: [String: String])
        do { file = try SafeTensors.read(from: url) } catch let error as SafeTensorsError { throw RunError(error.description) }

        // The model's names and shapes; built without the task family, so importing needs no data set.
        let model = config.algorithm.initialParameters(model: config.model, seed: config.seed, as: Float.self)
        let ordered = file.metadata[SafeTensors.MetadataKey.parameterOrder] != nil
        let parameters = try Self.matched(file.parameters, to: model, inFileOrder: ordered, file: url.path, configuration: config.name)

        var start = 0
        if let iteration {
            start = iteration
        } else if let stored = file.metadata[SafeTensors.MetadataKey.iteration] {
            guard let n = Int(stored), (0...RunCheckpoint.maximumIteration).contains(n) else {
                throw RunError("\(url.path): metadata \(SafeTensors.MetadataKey.iteration) is '\(stored)', not an integer "
                               + "between 0 and \(RunCheckpoint.maximumIteration); "
                               + "give --iteration")
            }
            start = n
        }

        let checkpoint = RunCheckpoint(iteration: start, configuration: config, parameters: parameters)
        if let sha = file.metadata[SafeTensors.MetadataKey.configSHA256], sha != checkpoint.configurationSHA256 {
            FileDescriptorOutput.standardError("warning: \(url.path) was exported from a run with another configuration "
                                               + "(sha256 \(sha)); its names and shapes match \(config.name)\n")
        }
        let outURL = URL(fileURLWithPath: out)
        do { try checkpoint.write(to: outURL) } catch let error as CheckpointError { throw RunError(error.description) }
        print("wrote \(outURL.path): \(parameters.count) tensors, \(parameters.scalarCount) parameters for \(config.name), "
              + "iteration \(start), no optimizer state")
    }

    /// `imported` in the model's order, after checking its names and shapes against `model`.
    ///
    /// With `inFileOrder` (the file recorded its order), the file's order must be the model's,
    /// position by position; otherwise tensors are looked up by name in the model's order and
    /// any left over are an error. Throws a one-line ``RunError`` naming the first mismatch.
    static func matched(_ imported: Parameters<Tensor<Float>>, to model: Parameters<Tensor<Float>>, inFileOrder: Bool,
                        file: String, configuration: String) throws -> Parameters<Tensor<Float>> {
        func mismatch(_ what: String) -> RunError { RunError("\(file) does not fit the model of \(configuration): \(what)") }
        func checkShape(_ name: String, _ got: [Int], _ want: [Int]) throws {
            guard got == want else { throw mismatch("tensor '\(name)' has shape \(got), the model's is \(want)") }
        }
        if inFileOrder {
            for (i, name) in model.names.enumerated() {
                guard i < imported.count else {
                    throw mismatch("the model's parameter '\(name)' is missing (the file has \(imported.count) tensors)")
                }
                guard imported.names[i] == name else {
                    throw mismatch("tensor \(i) is '\(imported.names[i])', the model's parameter \(i) is '\(name)'")
                }
                try checkShape(name, imported.values[i].shape, model.values[i].shape)
            }
            guard imported.count == model.count else {
                throw mismatch("tensor '\(imported.names[model.count])' is not a parameter of the model (\(model.count) parameters)")
            }
            return Parameters(layout: model.layout, values: imported.values)
        }
        var values: [Tensor<Float>] = []
        for (name, want) in zip(model.names, model.values) {
            guard imported.contains(name) else { throw mismatch("the model's parameter '\(name)' is missing") }
            let tensor = imported[name]
            try checkShape(name, tensor.shape, want.shape)
            values.append(tensor)
        }
        if let extra = imported.names.first(where: { !model.contains($0) }) {
            throw mismatch("tensor '\(extra)' is not a parameter of the model")
        }
        return Parameters(layout: model.layout, values: values)
    }
}
