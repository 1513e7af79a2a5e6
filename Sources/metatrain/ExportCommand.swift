import ArgumentParser
import Foundation
import MetaCheckpoint
import MetaTelemetry

/// `metatrain export --checkpoint FILE|DIR --format safetensors [--names metatrain|torch] OUT`: a
/// checkpoint's weights in a format other tools read.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a checkpoint's parameters in a format other tools read (safetensors).",
        discussion: """
            safetensors: one F32 tensor per parameter, named as in the checkpoint (e.g. conv1.weight), \
            in the parameters' order; the metadata holds metatrain.iteration, metatrain.config_sha256 and \
            metatrain.parameter_order, metatrain.names, metatrain.architecture, metatrain.batch_norm, \
            metatrain.batch_norm_epsilon and metatrain.input. Load it in Python with \
            safetensors.numpy.load_file(OUT). --names torch names the tensors as a PyTorch module of the same \
            layers does (batch norm's scale and offset become weight and bias; nn.BatchNorm2d with \
            track_running_stats=False, so no running statistics), for load_state_dict(strict=True), and \
            leaves out what the learner learns besides the model (Meta-SGD's rates). The file is written \
            atomically; optimizer state and metrics are not exported.
            """)

    /// The weight file formats `export` writes and `import` reads.
    enum Format: String, CaseIterable, ExpressibleByArgument {
        case safetensors
    }

    @Option(name: .long, help: "A checkpoint file, or a run directory (its newest checkpoint that verifies).")
    var checkpoint: String

    @Option(name: .long, help: "The output format: \(Format.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: Format

    @Option(name: .long, help: "Tensor names: metatrain (as in the checkpoint) or torch (a PyTorch module's state_dict).")
    var names: SafeTensors.Naming = .metatrain

    @Argument(help: "The file to write.")
    var output: String

    func run() throws {
        let found = try Self.loadCheckpoint(checkpoint)
        let loaded = found.checkpoint
        let url = URL(fileURLWithPath: output)
        let (written, omitted) = try SafeTensors.export(loaded, to: url, naming: names)
        let count = loaded.parameters.count - omitted.count
        let scalars = loaded.parameters.scalarCount - omitted.reduce(0) { $0 + loaded.parameters[$1].count }
        print("wrote \(url.path): \(count) tensors, \(scalars) parameters, \(written) bytes (\(format.rawValue), "
              + "\(names.rawValue) names, iteration \(loaded.iteration) of \(found.file.path))"
              + (omitted.isEmpty ? "" : "; left out the learner's own \(omitted.count) tensors (\(omitted.first!), …)"))
    }

    /// The checkpoint at `path` (``FoundCheckpoint/at(path:)``), with the damaged ones a run
    /// directory's search skipped reported on standard error.
    static func loadCheckpoint(_ path: String) throws -> FoundCheckpoint {
        let found = try FoundCheckpoint.at(path: path)
        for s in found.skipped { FileDescriptorOutput.standardError("warning: skipped \(s)\n") }
        return found
    }
}

extension SafeTensors.Naming: ExpressibleByArgument {}
