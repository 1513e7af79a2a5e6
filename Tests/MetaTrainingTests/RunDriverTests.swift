import Foundation
import Testing
import MetaAlgorithms
import MetaConfig
import MetaCheckpoint
import MetaTestKit
import MetaTraining

/// A run directory claimed, trained in this process, evaluated; an earlier run never replaced.
@Suite struct RunDriverTests {
    @Test func trainingInThisProcessWritesConfigurationCheckpointAndEvaluation() throws {
        let dir = BuiltProducts.temporaryDirectory("driver")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = TrainingLoopTests.tiny(iterations: 2)
        let outcome = try RunDriver(RunDriver.Settings(configuration: config, directory: dir), threads: 1).trainInProcess()

        #expect(outcome == .finished)
        let yaml = try String(contentsOf: dir.appendingPathComponent("config.yaml"), encoding: .utf8)
        #expect(try ConfigFile.parse(yaml) == config)
        #expect(try RunCheckpoint.read(from: dir.appendingPathComponent("final.ckpt")).iteration == 2)
        let evaluation = try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: dir.appendingPathComponent("evaluation.json")))
        #expect(evaluation.tasks == config.evaluationTasks)
        #expect(evaluation.metric == "mse")
    }

    @Test func aFreshRunRefusesADirectoryHoldingARunAndOverwriteDiscardsIt() throws {
        let dir = BuiltProducts.temporaryDirectory("driver-refuse")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = TrainingLoopTests.tiny(iterations: 2)
        _ = try RunDriver(RunDriver.Settings(configuration: config, directory: dir), threads: 1).trainInProcess()

        let error = #expect(throws: RunError.self) { try RunDriver(RunDriver.Settings(configuration: config, directory: dir), threads: 1) }
        #expect(error?.description.contains("already holds a run") == true, "\(String(describing: error))")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("final.ckpt").path))

        _ = try RunDriver(RunDriver.Settings(configuration: config, directory: dir, overwrite: true), threads: 1)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("final.ckpt").path))
    }

    @Test func aSecondDriverOnTheSameDirectoryIsRefusedWhileTheFirstHoldsIt() throws {
        let dir = BuiltProducts.temporaryDirectory("driver-lock")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = TrainingLoopTests.tiny(iterations: 2)
        let holder = try RunDriver(RunDriver.Settings(configuration: config, directory: dir), threads: 1)
        #expect(throws: RunError.self) { try RunDriver(RunDriver.Settings(configuration: config, directory: dir, resume: true), threads: 1) }
        withExtendedLifetime(holder) {}
    }
}

/// Selecting a configuration by file or preset.
@Suite struct RunConfigurationLoadingTests {
    @Test func neitherFileNorPresetSelectsSineMAML() throws {
        #expect(try RunConfiguration.load(file: nil, preset: nil) == RunConfiguration.presets["sine-maml"]!)
        #expect(try RunConfiguration.load(file: nil, preset: "sine-pretrain") == RunConfiguration.presets["sine-pretrain"]!)
    }

    @Test func aFileIsParsedAndAnUnreadableOneIsARunErrorNamingIt() throws {
        let dir = BuiltProducts.temporaryDirectory("load")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("run.yaml")
        let config = TrainingLoopTests.tiny()
        try ConfigFile.yaml(config).write(to: file, atomically: true, encoding: .utf8)
        #expect(try RunConfiguration.load(file: file.path, preset: nil) == config)

        let missing = dir.appendingPathComponent("missing.yaml").path
        let error = #expect(throws: RunError.self) { try RunConfiguration.load(file: missing, preset: nil) }
        #expect(error?.description == "cannot read the configuration file \(missing)")

        try "iterations: [".write(to: file, atomically: true, encoding: .utf8)
        let parse = #expect(throws: RunError.self) { try RunConfiguration.load(file: file.path, preset: nil) }
        #expect(parse?.description.hasPrefix("\(file.path): ") == true, "\(String(describing: parse))")
    }
}

/// Process set-up that can be checked without re-executing the process.
@Suite struct BLASKernelSelectionTests {
    @Test func cpuFlagsAreTheWordsOfTheFirstFlagsLine() {
        let text = "processor\t: 0\nflags\t\t: fpu sse2 avx2 fma\nbugs\t\t: spectre\nprocessor\t: 1\nflags\t\t: fpu\n"
        #expect(BLASKernelSelection.cpuFlags(cpuinfo: text) == ["fpu", "sse2", "avx2", "fma"])
        #expect(BLASKernelSelection.cpuFlags(cpuinfo: "processor\t: 0\n").isEmpty)
    }
}
