import ArgumentParser
import Foundation
import MetaAdapt
import MetaConfig

/// `metatrain adapt --checkpoint FILE|DIR --support PATH --query PATH [--steps K] [--json]`:
/// a trained model adapted to the user's own examples (``Adapter``).
struct AdaptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adapt",
        abstract: "Adapt a trained model to your own examples and predict your queries.",
        discussion: """
            Images (classifiers): --support is a folder with one subfolder of images per class (the folder's \
            name is the label), --query an image, a folder of images, or a folder of class subfolders (then \
            the accuracy is reported). PNG or JPEG, any size, gray or colour, dark strokes on a light \
            background; resized and scaled as the training drawings are. Regression (sinusoid models): \
            --support a CSV file of x,y rows, --query a CSV file of x (or x,y: then the MSE is reported) rows. \
            The learner adapts its own way, as `eval` does: inner steps (MAML family), prototypes \
            (protonet), relation scores (relationnet). --steps 0 uses the model as trained.
            """)

    @Option(name: .long, help: "A checkpoint file, or a run directory (its newest checkpoint that verifies).")
    var checkpoint: String

    @Option(name: .long, help: "The examples to adapt on: a folder of class folders, or a CSV file of x,y rows.")
    var support: String?

    @Option(name: .long, help: "What to predict: an image, a folder of images or of class folders, or a CSV file of x (x,y) rows.")
    var query: String

    @Option(name: .long, help: "Adaptation steps (default: the configuration's evaluation steps; 0: no adaptation).")
    var steps: Int?

    @Flag(name: .long, help: "Print one JSON object: every query's probabilities and logits for every class (or x, y).")
    var json = false

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if let steps, !ConfigLimits.innerSteps.contains(steps) {
            throw ValidationError("--steps must be between \(ConfigLimits.innerSteps.lowerBound) and \(ConfigLimits.innerSteps.upperBound), got \(steps)")
        }
    }

    func run() throws {
        compute.apply()
        let found = try ExportCommand.loadCheckpoint(checkpoint)
        let adapter = try Adapter(found.checkpoint, steps: steps)
        let result = try adapter.run(support: support.map { URL(fileURLWithPath: $0) }, query: URL(fileURLWithPath: query))
        print(json ? try result.json() : result.table)
    }
}
