import Foundation
import Testing
import MetaTensor
import MetaNN
import MetaAlgorithms
import MetaCheckpoint
import MetaAdapt
import MetaTestKit

/// `export --names torch` against `adapt --json`, real processes: NumPy alone (no framework)
/// rebuilds the Omniglot CNN from the exported file, with the state_dict names a PyTorch module
/// has, and computes the same logits as `adapt --steps 0` on the same query batch.
@Suite struct TorchExportTests {
    typealias Interop = SafeTensorsInteroperabilityTests

    /// The Omniglot CNN's forward pass in NumPy, float64, from a `--names torch` file: 3×3
    /// cross-correlation, stride 2, padding 1; batch norm with the batch's statistics (biased
    /// variance, ε from the metadata); ReLU; mean over the 2×2 map; linear head. Prints
    /// {"keys": [...], "metadata": {...}, "logits": [[...], ...]}.
    static let forward = """
        import json, sys
        import numpy as np
        from safetensors import safe_open
        from safetensors.numpy import load_file
        w = {k: v.astype(np.float64) for k, v in load_file(sys.argv[1]).items()}
        with safe_open(sys.argv[1], framework="np") as f:
            metadata = f.metadata()
        eps = float(metadata["metatrain.batch_norm_epsilon"])
        x = load_file(sys.argv[2])["x"].astype(np.float64)
        def conv(x, weight, bias, stride=2, pad=1):
            n, c, h, wd = x.shape
            o, _, k, _ = weight.shape
            xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
            oh, ow = (h + 2 * pad - k) // stride + 1, (wd + 2 * pad - k) // stride + 1
            out = np.zeros((n, o, oh, ow))
            for i in range(k):
                for j in range(k):
                    patch = xp[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
                    out += np.einsum("nchw,oc->nohw", patch, weight[:, :, i, j])
            return out + bias[None, :, None, None]
        def batch_norm(x, gamma, beta):
            mean = x.mean(axis=(0, 2, 3), keepdims=True)
            var = ((x - mean) ** 2).mean(axis=(0, 2, 3), keepdims=True)
            return gamma[None, :, None, None] * (x - mean) / np.sqrt(var + eps) + beta[None, :, None, None]
        h = x
        for b in range(1, 5):
            h = np.maximum(batch_norm(conv(h, w[f"block{b}.conv.weight"], w[f"block{b}.conv.bias"]),
                                      w[f"block{b}.norm.weight"], w[f"block{b}.norm.bias"]), 0)
        logits = h.mean(axis=(2, 3)) @ w["head.weight"].T + w["head.bias"]
        print(json.dumps({"keys": sorted(w), "metadata": metadata, "logits": logits.tolist()}))
        """

    @Test func numPyLogitsFromTheTorchNamedFileMatchAdaptsLogits() throws {
        let dir = Interop.temporaryDirectory("torch-export")
        defer { try? FileManager.default.removeItem(at: dir) }
        guard try Interop.pythonIsReady(in: dir) else { return }
        // A fixture checkpoint: the omniglot-5w1s-maml model with trained-looking (perturbed) weights.
        let config = RunConfiguration.presets["omniglot-5w1s-maml"]!
        var parameters = config.algorithm.initialParameters(model: config.model, seed: 3, as: Float.self)
        var rng = SplitMix64(seed: 9)
        parameters = parameters.map { t in
            Tensor(shape: t.shape, scalars: t.scalars.map { $0 + Float.random(in: -0.2...0.2, using: &rng) })
        }
        let checkpointFile = dir.appendingPathComponent("model.ckpt")
        try RunCheckpoint(iteration: 7, configuration: config, parameters: parameters).write(to: checkpointFile)

        // Five classes of one image each, and seven query images of other sizes.
        let support = dir.appendingPathComponent("support"), query = dir.appendingPathComponent("query")
        for k in 0..<5 {
            let folder = support.appendingPathComponent("class-\(k)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try ImageFiles.writePNG(gray: Self.drawing(side: 105, seed: UInt64(k)), width: 105, height: 105,
                                    to: folder.appendingPathComponent("a.png"))
        }
        try FileManager.default.createDirectory(at: query, withIntermediateDirectories: true)
        for q in 0..<7 {
            let side = 28 + 11 * q
            try ImageFiles.writePNG(gray: Self.drawing(side: side, seed: UInt64(100 + q)), width: side, height: side,
                                    to: query.appendingPathComponent("q\(q).png"))
        }

        let adapt = try Interop.run(["adapt", "--checkpoint", checkpointFile.path, "--support", support.path, "--query", query.path,
                                     "--steps", "0", "--json"], in: dir, label: "adapt")
        try #require(adapt.status == 0, "adapt failed: \(adapt.output)")
        let result = try JSONSerialization.jsonObject(with: Data(adapt.output.utf8)) as! [String: Any]
        let queries = try #require(result["queries"] as? [[String: Any]])
        let adaptLogits = queries.map { $0["logits"] as! [Double] }
        #expect(adaptLogits.count == 7 && adaptLogits.allSatisfy { $0.count == 5 })
        #expect((result["model"] as? [String: Any])?["steps"] as? Int == 0)

        let weights = dir.appendingPathComponent("model.safetensors")
        let export = try Interop.run(["export", "--checkpoint", checkpointFile.path, "--format", "safetensors", "--names", "torch",
                                      weights.path], in: dir, label: "export")
        try #require(export.status == 0, "export failed: \(export.output)")
        // The query batch as adapt reads it, for NumPy.
        let files = (0..<7).map { query.appendingPathComponent("q\($0).png") }
        let inputs = dir.appendingPathComponent("inputs.safetensors")
        _ = try SafeTensors.write(Parameters([("x", try ImageFolders.inputs(files, side: 28))]), metadata: [:], to: inputs)

        let numpy = try Interop.python(Self.forward, [weights.path, inputs.path], in: dir, label: "numpy")
        try #require(numpy.status == 0, "numpy forward failed: \(numpy.output)")
        let out = try JSONSerialization.jsonObject(with: Data(numpy.output.utf8)) as! [String: Any]
        let expectedKeys = (1...4).flatMap { b in ["conv.weight", "conv.bias", "norm.weight", "norm.bias"].map { "block\(b).\($0)" } }
            + ["head.weight", "head.bias"]
        #expect(out["keys"] as? [String] == expectedKeys.sorted())
        let metadata = try #require(out["metadata"] as? [String: String])
        #expect(metadata["metatrain.names"] == "torch")
        #expect(metadata["metatrain.architecture"] == "{architecture: omniglot-cnn}")
        #expect(metadata["metatrain.batch_norm"] == "batch-statistics")
        #expect(metadata["metatrain.batch_norm_epsilon"] == "1e-05")
        let numpyLogits = try #require(out["logits"] as? [[Double]])
        var worst = 0.0
        for (a, b) in zip(adaptLogits, numpyLogits) { for (x, y) in zip(a, b) { worst = max(worst, abs(x - y)) } }
        print("adapt --json vs NumPy logits: largest difference \(worst)")
        #expect(numpyLogits.count == 7)
        #expect(worst <= 1e-5)
    }

    @Test func aTorchNamedFileImportsBackBitIdentically() throws {
        let dir = Interop.temporaryDirectory("torch-import")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = RunConfiguration.presets["omniglot-5w1s-maml"]!
        let original = RunCheckpoint(iteration: 3, configuration: config,
                                     parameters: config.algorithm.initialParameters(model: config.model, seed: 5, as: Float.self))
        let checkpointFile = dir.appendingPathComponent("a.ckpt"), weights = dir.appendingPathComponent("a.safetensors")
        try original.write(to: checkpointFile)
        let export = try Interop.run(["export", "--checkpoint", checkpointFile.path, "--format", "safetensors", "--names", "torch",
                                      weights.path], in: dir, label: "export")
        try #require(export.status == 0, "export failed: \(export.output)")
        let back = dir.appendingPathComponent("b.ckpt")
        let imported = try Interop.run(["import", "--format", "safetensors", weights.path, "--preset", "omniglot-5w1s-maml",
                                        "--out", back.path], in: dir, label: "import")
        try #require(imported.status == 0, "import failed: \(imported.output)")
        #expect(try RunCheckpoint.read(from: back).parametersSHA256 == original.parametersSHA256)
    }

    @Test func metaSGDsRatesAreLeftOutAndSequenceModelsAreRefused() throws {
        let dir = Interop.temporaryDirectory("torch-omit")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (preset, expectSuccess) in [("omniglot-5w1s-metasgd", true), ("omniglot-5class-mann", false)] {
            let config = RunConfiguration.presets[preset]!
            let file = dir.appendingPathComponent("\(preset).ckpt")
            try RunCheckpoint(iteration: 0, configuration: config,
                              parameters: config.algorithm.initialParameters(model: config.model, seed: 1, as: Float.self)).write(to: file)
            let out = dir.appendingPathComponent("\(preset).safetensors")
            let export = try Interop.run(["export", "--checkpoint", file.path, "--format", "safetensors", "--names", "torch", out.path],
                                         in: dir, label: "export-\(preset)")
            if expectSuccess {
                #expect(export.status == 0)
                #expect(export.output.contains("left out the learner's own 18 tensors (lr.block1.conv.weight, …)"), "\(export.output)")
                let file = try SafeTensors.read(from: out)
                #expect(!file.parameters.names.contains { $0.hasPrefix("lr.") })
                #expect(file.metadata["metatrain.omitted"]?.hasPrefix("lr.block1.conv.weight,") == true)
            } else {
                #expect(export.status != 0)
                #expect(export.output.contains("--names torch: layer '"), "\(export.output)")
                #expect(export.output.contains("export with --names metatrain"))
            }
        }
    }

    static func drawing(side: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        var pixels = [UInt8](repeating: 255, count: side * side)
        for _ in 0..<(side * side / 6) {
            let x = Int.random(in: 0..<side, using: &rng), y = Int.random(in: side / 4..<(3 * side / 4), using: &rng)
            pixels[y * side + x] = UInt8.random(in: 0...80, using: &rng)
        }
        return pixels
    }
}
