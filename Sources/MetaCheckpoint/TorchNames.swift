import MetaTensor
import MetaNN
import MetaAlgorithms

/// A checkpoint's model parameters under the names a PyTorch module of the same layers holds in
/// its `state_dict`, so `load_state_dict(file, strict=True)` takes the file as it is.
///
/// Per layer: ``Conv2D`` is `nn.Conv2d` (`weight [out, in, k, k]`, `bias`), ``Dense`` is
/// `nn.Linear` (`weight [out, in]`, `bias`), both unchanged; ``BatchNorm``'s `scale` and `offset`
/// are `nn.BatchNorm2d`'s `weight` and `bias`. Batch norm here always normalises with the
/// statistics of the batch at hand (``BatchNormMode/batchStatistics``), which is
/// `nn.BatchNorm2d(C, eps=ε, track_running_stats=False)`: that module has no running statistics,
/// so none are written. What the learner learns besides the model (Meta-SGD's rates `lr.*`,
/// the meta-learner LSTM's `metalstm.*`) has no place in the module and is left out.
public enum TorchNames {
    /// The model's parameter names paired with their PyTorch names, in the model's order.
    /// - Throws: ``CheckpointError`` when a layer of the model has no PyTorch counterpart here
    ///   (the sequence models' LSTM and memory), naming it.
    public static func mapping(_ model: any Model) throws -> [(ours: String, torch: String)] {
        try model.layers.flatMap { layer -> [(ours: String, torch: String)] in
            let renames: [(String, String)]
            switch layer {
            case is Conv2D, is Dense: renames = [("weight", "weight"), ("bias", "bias")]
            case is BatchNorm: renames = [("scale", "weight"), ("offset", "bias")]
            default:
                throw CheckpointError("--names torch: layer '\(layer.name)' (\(type(of: layer))) has no PyTorch module here; "
                                      + "export with --names metatrain")
            }
            return renames.map { ("\(layer.name).\($0.0)", "\(layer.name).\($0.1)") }
        }
    }

    /// The parameters renamed, in the model's order, and the names left out.
    /// - Throws: ``CheckpointError``: see ``mapping(_:)``, or a parameter of the model is missing.
    public static func renamed(_ parameters: Parameters<Tensor<Float>>, model: any Model) throws
        -> (parameters: Parameters<Tensor<Float>>, omitted: [String]) {
        let pairs = try mapping(model)
        for (ours, _) in pairs where !parameters.contains(ours) {
            throw CheckpointError("--names torch: the checkpoint has no parameter '\(ours)'")
        }
        let used = Set(pairs.map(\.ours))
        return (Parameters(pairs.map { ($0.torch, parameters[$0.ours]) }), parameters.names.filter { !used.contains($0) })
    }

    /// The batch-norm layers' epsilons (one value when all agree, as in every registered model).
    public static func batchNormEpsilons(_ model: any Model) -> [Double] {
        Array(Set(model.layers.compactMap { ($0 as? BatchNorm)?.epsilon })).sorted()
    }
}
