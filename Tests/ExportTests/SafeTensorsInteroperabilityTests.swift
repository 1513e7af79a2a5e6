import Foundation
import Testing
import MetaTensor
import MetaAlgorithms
import MetaCheckpoint
import MetaTestKit

/// Real processes: `metatrain train`, `export`, `import` and `eval`, and Python's
/// `safetensors.numpy` reading and writing the same files.
@Suite struct SafeTensorsInteroperabilityTests {
    static let binary = BuiltProducts.metatrain

    static func temporaryDirectory(_ label: String) -> URL { BuiltProducts.temporaryDirectory(label) }

    /// Runs `executable arguments` to completion; standard output and error go to `label.log` in `directory`.
    @discardableResult
    static func run(_ arguments: [String], in directory: URL, label: String,
                    executable: URL = binary) throws -> (status: Int32, output: String) {
        let log = directory.appendingPathComponent("\(label).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    /// `python3 -c script arguments…`.
    static func python(_ script: String, _ arguments: [String], in directory: URL, label: String) throws -> (status: Int32, output: String) {
        try run(["python3", "-c", script] + arguments, in: directory, label: label, executable: URL(fileURLWithPath: "/usr/bin/env"))
    }

    /// Whether `python3` imports safetensors and NumPy; records an Issue saying what to do when not.
    static func pythonIsReady(in directory: URL) throws -> Bool {
        let probe = try python("import safetensors, numpy", [], in: directory, label: "probe")
        if probe.status != 0 {
            Issue.record("python3 cannot import safetensors and numpy; run scripts/install-deps.sh (\(probe.output))")
            return false
        }
        return true
    }

    /// Trains the short `sine-maml` run into `directory` and returns its final checkpoint.
    static func train(in directory: URL) throws -> RunCheckpoint {
        let run = try run(["train", "--preset", "sine-maml", "--iterations", "20", "--eval-tasks", "4", "--run-dir", directory.path],
                          in: directory, label: "train")
        try #require(run.status == 0, "train failed: \(run.output)")
        return try RunCheckpoint.read(from: directory.appendingPathComponent("final.ckpt"))
    }

    /// Per tensor: shape, the float64 sum, and the first value (as a number and as its float32 bits).
    static let describe = """
        import json, sys
        import numpy as np
        from safetensors import safe_open
        from safetensors.numpy import load_file
        tensors = load_file(sys.argv[1])
        with safe_open(sys.argv[1], framework="np") as f:
            metadata = f.metadata()
        print(json.dumps({"metadata": metadata, "tensors": {name: {
            "shape": list(t.shape), "dtype": str(t.dtype), "sum": float(t.astype(np.float64).sum()),
            "abs_sum": float(np.abs(t.astype(np.float64)).sum()),
            "first": float(t.reshape(-1)[0]), "first_bits": int(t.reshape(-1).view(np.uint32)[0])}
            for name, t in tensors.items()}}))
        """

    @Test func exportedWeightsLoadInNumPyAndImportBackBitIdentically() throws {
        let dir = Self.temporaryDirectory("export")
        defer { try? FileManager.default.removeItem(at: dir) }
        guard try Self.pythonIsReady(in: dir) else { return }
        let original = try Self.train(in: dir)
        let weights = dir.appendingPathComponent("w.safetensors")

        let export = try Self.run(["export", "--checkpoint", dir.appendingPathComponent("final.ckpt").path, "--format", "safetensors",
                                   weights.path], in: dir, label: "export")
        try #require(export.status == 0, "\(export.output)")
        #expect(export.output.contains("\(original.parameters.count) tensors, \(original.parameters.scalarCount) parameters"), "\(export.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).allSatisfy { !$0.contains(".tmp-") }, "no temporary file left")

        let described = try Self.python(Self.describe, [weights.path], in: dir, label: "describe")
        try #require(described.status == 0, "\(described.output)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(described.output.utf8)) as? [String: Any])
        let metadata = try #require(json["metadata"] as? [String: String])
        #expect(metadata["metatrain.iteration"] == "\(original.iteration)")
        #expect(metadata["metatrain.config_sha256"] == original.configurationSHA256)
        #expect(metadata["metatrain.parameter_order"] == original.parameters.names.joined(separator: ","))
        let tensors = try #require(json["tensors"] as? [String: [String: Any]])
        #expect(Set(tensors.keys) == Set(original.parameters.names))
        for (name, tensor) in zip(original.parameters.names, original.parameters.values) {
            let t = try #require(tensors[name], "\(name) missing in Python")
            let scalars = tensor.scalars
            #expect(t["shape"] as? [Int] == tensor.shape, "\(name)")
            #expect(t["dtype"] as? String == "float32", "\(name)")
            #expect((t["first_bits"] as? NSNumber)?.uint32Value == scalars[0].bitPattern, "\(name)")
            #expect(((t["first"] as? NSNumber)?.doubleValue).map { Float($0).bitPattern } == scalars[0].bitPattern, "\(name)")
            let sum = scalars.reduce(0.0) { $0 + Double($1) }
            let scale = scalars.reduce(0.0) { $0 + abs(Double($1)) }
            let python = try #require((t["sum"] as? NSNumber)?.doubleValue)
            #expect(abs(python - sum) <= 1e-6 * scale, "\(name): Python \(python), Swift \(sum)")
        }

        let back = dir.appendingPathComponent("back.ckpt")
        let imported = try Self.run(["import", "--format", "safetensors", weights.path, "--preset", "sine-maml", "--out", back.path],
                                    in: dir, label: "import")
        try #require(imported.status == 0, "\(imported.output)")
        let checkpoint = try RunCheckpoint.read(from: back)
        #expect(checkpoint.parametersSHA256 == original.parametersSHA256, "bit-identical parameters")
        #expect(checkpoint.parameters == original.parameters)
        #expect(checkpoint.iteration == original.iteration, "the iteration comes from the metadata")
        // The run overrode the preset's iterations, so its configuration differs from the preset's: said, not refused.
        #expect(imported.output.contains("warning:") && imported.output.contains(original.configurationSHA256), "\(imported.output)")
        #expect(checkpoint.optimizer == nil)

        let eval = try Self.run(["eval", "--checkpoint", back.path, "--tasks", "4", "--json"], in: dir, label: "eval")
        #expect(eval.status == 0, "\(eval.output)")
        #expect((try? JSONSerialization.jsonObject(with: Data(eval.output.utf8))) is [String: Any], "\(eval.output)")
    }

    @Test func weightsWrittenByNumPyImportWithTheirValues() throws {
        let dir = Self.temporaryDirectory("numpy")
        defer { try? FileManager.default.removeItem(at: dir) }
        guard try Self.pythonIsReady(in: dir) else { return }
        let original = try Self.train(in: dir)
        let weights = dir.appendingPathComponent("w.safetensors")
        let export = try Self.run(["export", "--checkpoint", dir.path, "--format", "safetensors", weights.path], in: dir, label: "export")
        try #require(export.status == 0, "\(export.output)")

        // Written by NumPy with no metadata, so the model's order applies.
        let plus = dir.appendingPathComponent("plus.safetensors")
        let write = try Self.python("""
            import sys
            import numpy as np
            from safetensors.numpy import load_file, save_file
            tensors = load_file(sys.argv[1])
            save_file({name: (t + np.float32(1)).astype(np.float32) for name, t in reversed(list(tensors.items()))}, sys.argv[2])
            """, [weights.path, plus.path], in: dir, label: "numpy")
        try #require(write.status == 0, "\(write.output)")

        let out = dir.appendingPathComponent("plus.ckpt")
        let imported = try Self.run(["import", "--format", "safetensors", plus.path, "--like", dir.path, "--out", out.path],
                                    in: dir, label: "import")
        try #require(imported.status == 0, "\(imported.output)")
        let checkpoint = try RunCheckpoint.read(from: out)
        #expect(checkpoint.parameters.names == original.parameters.names)
        #expect(checkpoint.iteration == 0, "no metadata: iteration 0")
        #expect(checkpoint.configurationSHA256 == original.configurationSHA256, "--like takes the run's configuration")
        for (name, (got, want)) in zip(original.parameters.names, zip(checkpoint.parameters.values, original.parameters.values)) {
            #expect(got.shape == want.shape, "\(name)")
            #expect(got.scalars.map(\.bitPattern) == want.scalars.map { ($0 + 1).bitPattern }, "\(name)")
        }
        let eval = try Self.run(["eval", "--checkpoint", out.path, "--tasks", "4", "--json"], in: dir, label: "eval")
        #expect(eval.status == 0, "\(eval.output)")
    }

    @Test func importRejectsAMismatchedShapeNamingTheTensor() throws {
        let dir = Self.temporaryDirectory("mismatch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try #require(RunConfiguration.presets["sine-maml"])
        var p = config.algorithm.initialParameters(model: config.model, seed: config.seed, as: Float.self)
        let name = p.names[1]
        p.values[1] = Tensor(zeros: p.values[1].shape + [2])
        let weights = dir.appendingPathComponent("bad.safetensors")
        try SafeTensors.write(p, metadata: [:], to: weights)
        let out = dir.appendingPathComponent("bad.ckpt")
        let run = try Self.run(["import", "--format", "safetensors", weights.path, "--preset", "sine-maml", "--out", out.path],
                               in: dir, label: "import")
        #expect(run.status != 0)
        #expect(run.output.contains("'\(name)'") && run.output.contains("shape"), "\(run.output)")
        #expect(run.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1, "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: out.path))

        // A file that is not safetensors at all: one line naming it.
        let junk = dir.appendingPathComponent("junk.safetensors")
        try Data(repeating: 0xFF, count: 100).write(to: junk)
        let damaged = try Self.run(["import", "--format", "safetensors", junk.path, "--preset", "sine-maml", "--out", out.path],
                                   in: dir, label: "junk")
        #expect(damaged.status != 0)
        #expect(damaged.output.contains(junk.path), "\(damaged.output)")
    }

    @Test func exportRejectsAnUnknownFormatListingTheKnownOnes() throws {
        let dir = Self.temporaryDirectory("format")
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try Self.run(["export", "--checkpoint", dir.path, "--format", "onnx", dir.appendingPathComponent("w.onnx").path],
                               in: dir, label: "export")
        #expect(run.status != 0)
        #expect(run.output.contains("onnx") && run.output.contains("safetensors"), "\(run.output)")
    }
}
