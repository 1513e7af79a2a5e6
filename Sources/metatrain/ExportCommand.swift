import ArgumentParser
import Foundation
import MetaCheckpoint
import MetaTelemetry
import MetaTraining

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
        let (loaded, file) = try Self.loadCheckpoint(checkpoint)
        let url = URL(fileURLWithPath: output)
        let metadata = [
            SafeTensors.MetadataKey.iteration: String(loaded.iteration),
            SafeTensors.MetadataKey.configSHA256: loaded.configurationSHA256,
        ]
        let written: Int
        do { written = try SafeTensors.write(loaded.parameters, metadata: metadata, to: url) } catch let error as CheckpointError {
            throw RunError(error.description)
        }
        print("wrote \(url.path): \(loaded.parameters.count) tensors, \(loaded.parameters.scalarCount) parameters, "
              + "\(written) bytes (\(format.rawValue), iteration \(loaded.iteration) of \(file.path))")
    }

    /// The checkpoint at `path`, a file or a run directory (its newest checkpoint that verifies,
    /// with the damaged ones it skipped reported on standard error), and the file it came from.
    /// Throws a one-line ``RunError``.
    static func loadCheckpoint(_ path: String) throws -> (checkpoint: RunCheckpoint, file: URL) {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw RunError("no such checkpoint file or run directory: \(url.path)")
        }
        do {
            if isDirectory.boolValue {
                let found = try RunCheckpoint.newest(in: url)
                for s in found.skipped { FileDescriptorOutput.standardError("warning: skipped \(s)\n") }
                return (found.checkpoint, found.url)
            }
            return (try RunCheckpoint.read(from: url), url)
        } catch let error as CheckpointError { throw RunError(error.description) }
    }
}
