import Foundation
import Testing
import MetaTensor
import MetaTasks
import MetaAlgorithms
import MetaCheckpoint
import MetaTestKit

/// Checkpoints, image folders and the Omniglot archives for the adaptation tests.
enum Fixtures {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let omniglotDirectory = OmniglotDataset.directory(
        default: packageRoot.appendingPathComponent("../shared/datasets/omniglot").standardizedFileURL.path)

    /// Whether both Omniglot archives are present; the tests that need them are skipped otherwise.
    static let omniglotAvailable: Bool = OmniglotDataset.archives.allSatisfy {
        FileManager.default.fileExists(atPath: omniglotDirectory + "/" + $0 + ".zip")
    }
    static let omniglotSkipMessage: Comment = """
        Omniglot archives not found in \(omniglotDirectory): set METATRAIN_OMNIGLOT_DIR to the directory of \
        images_background.zip and images_evaluation.zip
        """

    /// The data folder is each process's own setting (`METATRAIN_OMNIGLOT_DIR`): this test
    /// process's is the fixture directory, set once before any Omniglot task is built.
    static let dataFolderSet: Void = { setenv(OmniglotDataset.environmentVariable, omniglotDirectory, 1) }()

    /// A preset, its Omniglot tasks read from the fixture directory.
    static func preset(_ name: String) -> RunConfiguration {
        _ = dataFolderSet
        return RunConfiguration.presets[name]!
    }

    /// A checkpoint of `config` holding its learner's initial parameters (a model no one trained).
    static func untrained(_ config: RunConfiguration) -> RunCheckpoint {
        RunCheckpoint(iteration: 0, configuration: config,
                      parameters: config.algorithm.initialParameters(model: config.model, seed: config.seed, as: Float.self))
    }

    /// A `side × side` gray drawing (255 background, 0 ink): a few random strokes from `seed`.
    static func drawing(side: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        var pixels = [UInt8](repeating: 255, count: side * side)
        for _ in 0..<3 {
            var x = Int.random(in: 0..<side, using: &rng), y = Int.random(in: 0..<side, using: &rng)
            let dx = Int.random(in: -1...1, using: &rng), dy = Int.random(in: -1...1, using: &rng)
            for _ in 0..<side {
                for ox in 0..<max(1, side / 14) { for oy in 0..<max(1, side / 14) where (0..<side).contains(x + ox) && (0..<side).contains(y + oy) {
                    pixels[(y + oy) * side + x + ox] = 0
                } }
                x = min(side - 1, max(0, x + dx + Int.random(in: -1...1, using: &rng)))
                y = min(side - 1, max(0, y + dy + Int.random(in: -1...1, using: &rng)))
            }
        }
        return pixels
    }

    /// Writes `classes` class folders of `shots` random drawings each under `root`; returns the folder.
    @discardableResult
    static func imageFolder(_ root: URL, classes: [String], shots: Int, side: Int = 28, seed: UInt64 = 1) throws -> URL {
        for (k, name) in classes.enumerated() {
            let folder = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for s in 0..<shots {
                try ImageFiles.writePNG(gray: drawing(side: side, seed: seed &* 1000 &+ UInt64(k * 100 + s)), width: side, height: side,
                                        to: folder.appendingPathComponent("image-\(s).png"))
            }
        }
        return root
    }
}
