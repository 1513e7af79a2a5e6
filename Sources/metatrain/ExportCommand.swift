import ArgumentParser
import Foundation
import MetaCheckpoint
import MetaTelemetry

/// `metatrain export --checkpoint FILE|DIR --format safetensors OUT`: a checkpoint's weights in
/// a format other tools read.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a checkpoint's parameters in a format other tools read (safetensors).",
        discussion: """
            safetensors: one F32 tensor per parameter, named as in the checkpoint (e.g. conv1.weight), \
            in the parameters' order; the metadata holds metatrain.iteration, metatrain.config_sha256 and \
            metatrain.parameter_order. Load it in Python with safetensors.numpy.load_file(OUT). The file is \
            written atomically; optimizer state and metrics are not exported.
            """)

    /// The weight file formats `export` writes and `import` reads.
    enum Format: String, CaseIterable, ExpressibleByArgument {
        case safetensors
    }

    @Option(name: .long, help: "A checkpoint file, or a run directory (its newest checkpoint that verifies).")
    var checkpoint: String

    @Option(name: .long, help: "The output format: \(Format.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: Format

    @Argument(help: "The file to write.")
    var output: String

    func run() throws {
        let found = try Self.loadCheckpoint(checkpoint)
        let loaded = found.checkpoint
        let url = URL(fileURLWithPath: output)
        let written = try SafeTensors.export(loaded, to: url)
        print("wrote \(url.path): \(loaded.parameters.count) tensors, \(loaded.parameters.scalarCount) parameters, "
              + "\(written) bytes (\(format.rawValue), iteration \(loaded.iteration) of \(found.file.path))")
    }

    /// The checkpoint at `path` (``FoundCheckpoint/at(path:)``), with the damaged ones a run
    /// directory's search skipped reported on standard error.
    static func loadCheckpoint(_ path: String) throws -> FoundCheckpoint {
        let found = try FoundCheckpoint.at(path: path)
        for s in found.skipped { FileDescriptorOutput.standardError("warning: skipped \(s)\n") }
        return found
    }
}
