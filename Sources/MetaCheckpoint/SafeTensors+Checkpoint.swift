import Foundation
import MetaTensor
import MetaNN
import MetaAlgorithms

/// Checkpoints to and from safetensors weight files.
extension SafeTensors {
    /// How tensors are named in an exported file.
    public enum Naming: String, Sendable, CaseIterable {
        /// As in the checkpoint, with everything the learner learns (`block1.norm.scale`, `lr.…`).
        case metatrain
        /// As a PyTorch module of the same layers names them, the model's parameters only (``TorchNames``).
        case torch
    }

    /// Writes `checkpoint`'s parameters to `url` (atomically), in their order, with the metadata
    /// `metatrain.iteration`, `metatrain.config_sha256`, `metatrain.names`, `metatrain.architecture`
    /// (the configuration's `model:` line), `metatrain.batch_norm` and `metatrain.batch_norm_epsilon`
    /// (when the model has batch norm) and `metatrain.input`; with ``Naming/torch``, the names
    /// ``TorchNames`` gives and `metatrain.omitted` (the learner's own parameters left out).
    /// (`metatrain.parameter_order` is added by ``encode(_:metadata:)``.) Optimizer state and
    /// metrics are not written.
    /// - Returns: the number of bytes written, and the names left out.
    /// - Throws: ``CheckpointError`` when the configuration does not parse, the model has a layer
    ///   without a PyTorch counterpart (``Naming/torch``), or the file cannot be written.
    @discardableResult
    public static func export(_ checkpoint: RunCheckpoint, to url: URL, naming: Naming = .metatrain) throws
        -> (bytes: Int, omitted: [String]) {
        var metadata = [
            MetadataKey.iteration: String(checkpoint.iteration),
            MetadataKey.configSHA256: checkpoint.configurationSHA256,
            MetadataKey.names: naming.rawValue,
        ]
        var parameters = checkpoint.parameters, omitted: [String] = []
        if let configuration = try? checkpoint.configuration() {
            let model = configuration.model
            let entries = configuration.architecture.spec.entries.map { "\($0.key): \(describe($0.value))" }
            metadata[MetadataKey.architecture] = "{" + (["architecture: \(configuration.architecture.name)"] + entries).joined(separator: ", ") + "}"
            let epsilons = TorchNames.batchNormEpsilons(model)
            if !epsilons.isEmpty {
                metadata[MetadataKey.batchNorm] = configuration.batchNorm.rawValue
                metadata[MetadataKey.batchNormEpsilon] = epsilons.map { String($0) }.joined(separator: ",")
            }
            if let side = (configuration.evaluationFamily ?? configuration.family).spec.imageSide {
                metadata[MetadataKey.input] = "NCHW float32 [n, 1, \(side), \(side)], ink 1, background 0 (255 - gray) / 255, "
                    + "area-averaged to \(side)x\(side)"
            } else {
                metadata[MetadataKey.input] = "\(configuration.family.name)"
            }
            if naming == .torch { (parameters, omitted) = try TorchNames.renamed(parameters, model: model) }
        } else if naming == .torch {
            throw CheckpointError("--names torch: the checkpoint's configuration does not parse in this build")
        }
        if !omitted.isEmpty { metadata[MetadataKey.omitted] = omitted.joined(separator: ",") }
        return (try write(parameters, metadata: metadata, to: url), omitted)
    }

    private static func describe(_ value: ConfigValue) -> String {
        switch value {
        case let .integer(n): return String(n)
        case let .string(s): return s
        case let .integers(ns): return "[" + ns.map(String.init).joined(separator: ", ") + "]"
        }
    }

    /// A weight file read as a checkpoint of `configuration`'s model.
    ///
    /// Every tensor must match the model by name and shape (see ``matched(_:to:inFileOrder:file:configuration:)``;
    /// the file's order counts when it recorded one). The model's names and shapes come from
    /// the configuration alone, without its task family, so importing needs no data set. The
    /// checkpoint has no optimizer state and no metrics.
    /// - Parameters:
    ///   - url: the safetensors file.
    ///   - configuration: the run configuration whose model the weights are for.
    ///   - iteration: the checkpoint's iteration; nil takes the file's `metatrain.iteration`, else 0.
    /// - Returns: the checkpoint, and warnings for the caller to report: one when the file was
    ///   exported from a run with another configuration (by its `metatrain.config_sha256`).
    /// - Throws: ``SafeTensorsError`` in one line when the file cannot be read or decoded, does
    ///   not fit the model, or holds a `metatrain.iteration` that is not an integer in
    ///   0…``RunCheckpoint/maximumIteration`` while `iteration` is nil.
    public static func importCheckpoint(from url: URL, configuration: RunConfiguration,
                                        iteration: Int?) throws -> (checkpoint: RunCheckpoint, warnings: [String]) {
        let file = try read(from: url)
        let model = configuration.algorithm.initialParameters(model: configuration.model, seed: configuration.seed, inner: configuration.inner, as: Float.self)
        var imported = file.parameters, ordered = file.metadata[MetadataKey.parameterOrder] != nil
        if file.metadata[MetadataKey.names] == Naming.torch.rawValue {
            // Back to the checkpoint's names (batch norm's weight and bias are its scale and offset).
            let ours = Dictionary(uniqueKeysWithValues: try TorchNames.mapping(configuration.model).map { ($0.torch, $0.ours) })
            imported = Parameters(zip(imported.names, imported.values).map { (ours[$0.0] ?? $0.0, $0.1) })
            ordered = false
        }
        let parameters = try matched(imported, to: model, inFileOrder: ordered, file: url.path, configuration: configuration.name)

        var start = 0
        if let iteration {
            start = iteration
        } else if let stored = file.metadata[MetadataKey.iteration] {
            guard let n = Int(stored), (0...RunCheckpoint.maximumIteration).contains(n) else {
                throw SafeTensorsError("\(url.path): metadata \(MetadataKey.iteration) is '\(stored)', not an integer "
                                       + "between 0 and \(RunCheckpoint.maximumIteration); give --iteration")
            }
            start = n
        }

        let checkpoint = RunCheckpoint(iteration: start, configuration: configuration, parameters: parameters)
        var warnings: [String] = []
        if let sha = file.metadata[MetadataKey.configSHA256], sha != checkpoint.configurationSHA256 {
            warnings.append("\(url.path) was exported from a run with another configuration (sha256 \(sha)); "
                            + "its names and shapes match \(configuration.name)")
        }
        return (checkpoint, warnings)
    }

    /// `imported` in the model's order, after checking its names and shapes against `model`.
    ///
    /// With `inFileOrder` (the file recorded its order), the file's order must be the model's,
    /// position by position; otherwise tensors are looked up by name in the model's order and
    /// any left over are an error.
    /// - Parameters:
    ///   - file, configuration: how the error names the file and the configuration.
    /// - Throws: a one-line ``SafeTensorsError`` "FILE does not fit the model of CONFIGURATION: …"
    ///   naming the first mismatch.
    public static func matched(_ imported: Parameters<Tensor<Float>>, to model: Parameters<Tensor<Float>>, inFileOrder: Bool,
                               file: String, configuration: String) throws -> Parameters<Tensor<Float>> {
        func mismatch(_ what: String) -> SafeTensorsError { SafeTensorsError("\(file) does not fit the model of \(configuration): \(what)") }
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
