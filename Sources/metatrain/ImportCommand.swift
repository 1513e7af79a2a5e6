import ArgumentParser
import Foundation
import MetaAlgorithms
import MetaCheckpoint
import MetaTelemetry

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
        let config: RunConfiguration = try like.map { try ExportCommand.loadCheckpoint($0).configuration() } ?? selection.load()
        let imported = try SafeTensors.importCheckpoint(from: URL(fileURLWithPath: input), configuration: config, iteration: iteration)
        for w in imported.warnings { FileDescriptorOutput.standardError("warning: \(w)\n") }
        let checkpoint = imported.checkpoint
        let outURL = URL(fileURLWithPath: out)
        try checkpoint.write(to: outURL)
        print("wrote \(outURL.path): \(checkpoint.parameters.count) tensors, \(checkpoint.parameters.scalarCount) parameters "
              + "for \(config.name), iteration \(checkpoint.iteration), no optimizer state")
    }
}
