import Foundation
import Testing
import MetaTensor
import MetaNN
import MetaAlgorithms
import MetaCheckpoint

/// Checkpoints exported to safetensors and weight files imported as checkpoints: names and
/// shapes checked against the model, the first mismatch named.
@Suite struct SafeTensorsCheckpointTests {
    static let config = RunConfiguration.presets["sine-maml"]!

    /// The sine model's parameters, with every value distinct from the initialisation's.
    static func trained() -> Parameters<Tensor<Float>> {
        let p = config.algorithm.initialParameters(model: config.model, seed: 99, as: Float.self)
        return Parameters(layout: p.layout, values: p.values.map { Tensor(shape: $0.shape, scalars: $0.scalars.map { $0 + 0.5 }) })
    }

    static func model() -> Parameters<Tensor<Float>> {
        config.algorithm.initialParameters(model: config.model, seed: config.seed, as: Float.self)
    }

    @Test func exportedCheckpointImportsBackBitIdenticallyWithItsIteration() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("w.safetensors")
        let checkpoint = RunCheckpoint(iteration: 42, configuration: Self.config, parameters: Self.trained())

        let written = try SafeTensors.export(checkpoint, to: url).bytes
        #expect(written == (try Data(contentsOf: url)).count)
        let metadata = try SafeTensors.read(from: url).metadata
        #expect(metadata[SafeTensors.MetadataKey.iteration] == "42")
        #expect(metadata[SafeTensors.MetadataKey.configSHA256] == checkpoint.configurationSHA256)

        let imported = try SafeTensors.importCheckpoint(from: url, configuration: Self.config, iteration: nil)
        #expect(imported.warnings.isEmpty)
        #expect(imported.checkpoint.iteration == 42)
        #expect(imported.checkpoint.parametersSHA256 == checkpoint.parametersSHA256)
        #expect(imported.checkpoint.optimizer == nil)
        #expect(try imported.checkpoint.configuration() == Self.config)
    }

    @Test func anExplicitIterationOverridesTheFilesAndAnInvalidStoredOneIsRefused() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("w.safetensors")
        _ = try SafeTensors.write(Self.trained(), metadata: [SafeTensors.MetadataKey.iteration: "-3"], to: url)

        #expect(try SafeTensors.importCheckpoint(from: url, configuration: Self.config, iteration: 7).checkpoint.iteration == 7)
        let error = #expect(throws: SafeTensorsError.self) {
            try SafeTensors.importCheckpoint(from: url, configuration: Self.config, iteration: nil)
        }
        #expect(error?.description == "\(url.path): metadata metatrain.iteration is '-3', not an integer between 0 and "
                + "\(RunCheckpoint.maximumIteration); give --iteration")
    }

    @Test func weightsFromARunWithAnotherConfigurationImportWithAWarning() throws {
        let dir = try RunCheckpointTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("w.safetensors")
        _ = try SafeTensors.write(Self.trained(), metadata: [SafeTensors.MetadataKey.configSHA256: "abc"], to: url)

        let imported = try SafeTensors.importCheckpoint(from: url, configuration: Self.config, iteration: nil)
        #expect(imported.checkpoint.iteration == 0)
        #expect(imported.warnings == ["\(url.path) was exported from a run with another configuration (sha256 abc); "
                                      + "its names and shapes match sine-maml"])
    }

    @Test func withoutARecordedOrderTensorsAreMatchedByNameIntoTheModelsOrder() throws {
        let model = Self.model()
        let shuffled = Parameters(Array(Array(zip(model.names, model.values)).reversed()))
        let matched = try SafeTensors.matched(shuffled, to: model, inFileOrder: false, file: "f", configuration: "c")
        #expect(matched.names == model.names)
        #expect(matched.values.map(\.shape) == model.values.map(\.shape))
        #expect(matched[model.names[0]].scalars == model.values[0].scalars)
    }

    @Test func inTheFilesOrderAnotherOrderIsAMismatchNamingBothTensors() throws {
        let model = Self.model()
        let shuffled = Parameters(Array(Array(zip(model.names, model.values)).reversed()))
        let error = #expect(throws: SafeTensorsError.self) {
            try SafeTensors.matched(shuffled, to: model, inFileOrder: true, file: "w.safetensors", configuration: "sine-maml")
        }
        #expect(error?.description == "w.safetensors does not fit the model of sine-maml: tensor 0 is '\(model.names.last!)', "
                + "the model's parameter 0 is '\(model.names[0])'")
    }

    @Test func aWrongShapeIsNamedWithBothShapes() throws {
        let model = Self.model()
        var values = model.values
        values[1] = Tensor(zeros: [values[1].shape.reduce(1, *) + 1])
        let file = Parameters(layout: model.layout, values: values)
        for ordered in [true, false] {
            let error = #expect(throws: SafeTensorsError.self) {
                try SafeTensors.matched(file, to: model, inFileOrder: ordered, file: "f", configuration: "c")
            }
            #expect(error?.description == "f does not fit the model of c: tensor '\(model.names[1])' has shape "
                    + "\(values[1].shape), the model's is \(model.values[1].shape)")
        }
    }

    @Test func aMissingParameterAndAnExtraTensorAreEachNamed() throws {
        let model = Self.model()
        let pairs = Array(zip(model.names, model.values))
        let short = Parameters(Array(pairs.dropLast()))
        let missing = #expect(throws: SafeTensorsError.self) {
            try SafeTensors.matched(short, to: model, inFileOrder: false, file: "f", configuration: "c")
        }
        #expect(missing?.description == "f does not fit the model of c: the model's parameter '\(model.names.last!)' is missing")
        let missingOrdered = #expect(throws: SafeTensorsError.self) {
            try SafeTensors.matched(short, to: model, inFileOrder: true, file: "f", configuration: "c")
        }
        #expect(missingOrdered?.description == "f does not fit the model of c: the model's parameter '\(model.names.last!)' "
                + "is missing (the file has \(model.count - 1) tensors)")

        let long = Parameters(pairs + [("extra.weight", Tensor<Float>(zeros: [2]))])
        let extra = #expect(throws: SafeTensorsError.self) {
            try SafeTensors.matched(long, to: model, inFileOrder: false, file: "f", configuration: "c")
        }
        #expect(extra?.description == "f does not fit the model of c: tensor 'extra.weight' is not a parameter of the model")
        let extraOrdered = #expect(throws: SafeTensorsError.self) {
            try SafeTensors.matched(long, to: model, inFileOrder: true, file: "f", configuration: "c")
        }
        #expect(extraOrdered?.description == "f does not fit the model of c: tensor 'extra.weight' is not a parameter of the model "
                + "(\(model.count) parameters)")
    }
}
