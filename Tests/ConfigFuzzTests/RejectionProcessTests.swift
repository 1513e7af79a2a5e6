import Testing
import Foundation
import MetaTensor
import MetaNN
import MetaAlgorithms
import MetaCheckpoint
import MetaTestKit

/// The built `metatrain` refuses hostile inputs with exit status 1 and one line, not a signal.
@Suite(.serialized) struct RejectionProcessTests {
    struct Outcome {
        /// The exit status, or `nil` when a signal ended the process.
        var status: Int32?
        var output: String
        /// The non-empty lines of standard output and standard error.
        var lines: [String] { output.split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty } }
    }

    static func run(_ arguments: [String], in directory: URL) throws -> Outcome {
        let process = Process()
        let log = directory.appendingPathComponent("output-\(UUID().uuidString.prefix(6)).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.executableURL = BuiltProducts.metatrain
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return Outcome(status: process.terminationReason == .exit ? process.terminationStatus : nil, output: output)
    }

    static func write(_ text: String, _ name: String, in directory: URL) -> String {
        let url = directory.appendingPathComponent(name)
        _ = FileManager.default.createFile(atPath: url.path, contents: Data(text.utf8))
        return url.path
    }

    @Test(arguments: [("tasks: {shots: 9223372036854775807}", "tasks.shots"), ("meta_batch: 4000000000000", "meta_batch")])
    func trainRefusesTheReportedConfigurationsNamingTheKey(_ line: String, _ key: String) throws {
        let dir = BuiltProducts.temporaryDirectory("bad-config")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = Self.write("preset: sine-maml\n\(line)\n", "bad.yaml", in: dir)
        let out = try Self.run(["train", "--config", config, "--run-dir", dir.appendingPathComponent("run").path], in: dir)
        #expect(out.status == 1, "\(out.output)")
        #expect(out.lines.count == 1, "\(out.output)")
        #expect(out.output.contains("'\(key)' must be between"), "\(out.output)")
    }

    @Test func commandLineOverridesOutsideTheRangesAreRefused() throws {
        let dir = BuiltProducts.temporaryDirectory("bad-flags")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (args, message) in [(["train", "--iterations", "100000001"], "--iterations must be between 1 and 100000000"),
                                (["train", "--seed", "18446744073709551615"], "--seed must be between 0 and 9223372036854775807"),
                                (["train", "--eval-tasks", "100001"], "--eval-tasks must be between 1 and 100000"),
                                (["eval", "--checkpoint", "x.ckpt", "--steps", "1001"], "--steps must be between 0 and 1000"),
                                (["eval", "--checkpoint", "x.ckpt", "--tasks", "1"], "--tasks must be between 2 and 100000")] {
            let out = try Self.run(args, in: dir)
            #expect(out.status != nil && out.status != 0, "\(args): \(out.output)")
            #expect(out.output.contains(message), "\(args): \(out.output)")
        }
    }

    @Test func evalAndInspectRefuseACheckpointWhoseAdamStepIsIntMax() throws {
        let dir = BuiltProducts.temporaryDirectory("bad-ckpt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("damaged.ckpt").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(InputFuzzTests.checkpointWithAdamStep(UInt64(Int.max))))
        for args in [["eval", "--checkpoint", path, "--tasks", "2"], ["checkpoint", "inspect", path]] {
            let out = try Self.run(args, in: dir)
            #expect(out.status != nil && out.status != 0, "\(args): \(out.output)")
            #expect(out.lines.count == 1, "\(args): \(out.output)")
            #expect(out.output.contains("optimizer step count 9223372036854775807 out of range"), "\(args): \(out.output)")
        }
    }

    @Test func evalRefusesACheckpointWhoseParametersDoNotFitItsModel() throws {
        let dir = BuiltProducts.temporaryDirectory("misfit-ckpt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("misfit.ckpt")
        let p = Parameters([("dense1.weight", Tensor<Float>(shape: [1, 3], scalars: [1, 2, 3]))])
        try RunCheckpoint(iteration: 1, configuration: RunConfiguration.presets["sine-maml"]!, parameters: p).write(to: url)
        let out = try Self.run(["eval", "--checkpoint", url.path, "--tasks", "2"], in: dir)
        #expect(out.status == 1, "\(out.output)")
        #expect(out.lines.count == 1, "\(out.output)")
        #expect(out.output.contains("do not fit its configuration's model"), "\(out.output)")
    }

    @Test func importRefusesAHostileSafeTensorsFile() throws {
        let dir = BuiltProducts.temporaryDirectory("bad-safetensors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let hostile: [(String, String)] = [
            (#"{"t": {"dtype": "F32", "shape": [0, 4611686018427387904, 4611686018427387904], "data_offsets": [0, 0]}}"#, "empty, but its other dimensions"),
            (#"{"t": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 0]}}"#, "overflows"),
            (#"{"t": {"dtype": "F32", "shape": [2], "data_offsets": [18446744073709551615, 8]}}"#, "data_offsets"),
        ]
        for (json, message) in hostile {
            var bytes: [UInt8] = []
            withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { bytes += $0 }
            bytes += Array(json.utf8)
            let path = dir.appendingPathComponent("hostile.safetensors").path
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            let out = try Self.run(["import", "--format", "safetensors", path, "--preset", "sine-maml",
                                    "--out", dir.appendingPathComponent("out.ckpt").path], in: dir)
            #expect(out.status == 1, "\(json): \(out.output)")
            #expect(out.lines.count == 1, "\(json): \(out.output)")
            #expect(out.output.contains(message), "\(json): \(out.output)")
        }
        // A header length beyond the file.
        let path = dir.appendingPathComponent("long.safetensors").path
        _ = FileManager.default.createFile(atPath: path, contents: Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7B, 0x7D]))
        let out = try Self.run(["import", "--format", "safetensors", path, "--preset", "sine-maml",
                                "--out", dir.appendingPathComponent("out.ckpt").path], in: dir)
        #expect(out.status == 1 && out.lines.count == 1 && out.output.contains("header length"), "\(out.output)")
    }
}
