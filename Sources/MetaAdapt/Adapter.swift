import Foundation
import MetaTensor
import MetaNN
import MetaTasks
import MetaAlgorithms
import MetaCheckpoint

/// A checkpoint's model adapted to a user's own examples, as `metatrain adapt` does it.
///
/// The adaptation is the learner's own, and the same code as the evaluation protocol's:
/// ``Learner/queryOutputs(model:parameters:input:inner:steps:)`` (inner SGD steps for MAML,
/// first-order MAML, Reptile and the pretraining baseline, with Meta-SGD's learned rates, on
/// ANIL's head, the meta-learner LSTM's learned updates, ProtoNets' prototypes, the Relation
/// Network's relation scores). Only the inputs differ: image folders or CSV files instead of
/// sampled tasks, turned into inputs as the training data is (``ImageFolders``, ``PointTable``).
///
/// Batch norm uses the statistics of the batch it normalises (as at training and evaluation):
/// the support set is normalised on its own, and so is the query set, so a query's prediction
/// depends on the other queries given with it.
public struct Adapter: Sendable {
    /// The checkpoint's configuration.
    public let configuration: RunConfiguration
    /// The checkpoint's iteration.
    public let iteration: Int
    /// Adaptation steps (the configuration's evaluation steps unless overridden).
    public let steps: Int
    private let parameters: Parameters<Tensor<Float>>

    /// Prepares `checkpoint` for adaptation; reads no data set.
    /// - Parameter steps: adaptation steps; nil for the configuration's `inner.evaluation_steps`.
    /// - Throws: ``AdaptError`` in one line: the configuration does not parse, the parameters do not
    ///   fit its model, or its learner does not adapt to a support set (sequence learners).
    public init(_ checkpoint: RunCheckpoint, steps: Int? = nil) throws {
        let config: RunConfiguration
        do { config = try checkpoint.configuration() } catch { throw AdaptError("the checkpoint's configuration: \(error)") }
        do { try checkpoint.checkParametersFit(config) } catch { throw AdaptError("\(error)") }
        let learner = config.algorithm.learner
        guard learner.taskShape == .supportQuery else {
            throw AdaptError("\(config.name) uses \(config.algorithm), which learns within sequence episodes, not from a "
                             + "support set: adapt needs a support/query learner (\(Self.adaptingLearners.joined(separator: ", ")))")
        }
        let tasks = (config.evaluationFamily ?? config.family)
        guard tasks.spec.shape == .supportQuery else {
            throw AdaptError("\(config.name) trains \(config.algorithm) on \(tasks.name) tasks (\(tasks.spec.shape.rawValue)), which have "
                             + "no support set to adapt to: adapt needs a run on support/query tasks")
        }
        configuration = config
        iteration = checkpoint.iteration
        parameters = checkpoint.parameters
        self.steps = steps ?? config.inner.evaluationSteps
    }

    /// The registered learners that adapt to a support set.
    public static var adaptingLearners: [String] { Learners.all.filter { $0.taskShape == .supportQuery }.map(\.id.rawValue) }

    /// The tasks the model was evaluated on (its evaluation family, else its training family).
    var tasks: any TaskFamilySpec { (configuration.evaluationFamily ?? configuration.family).spec }

    /// What the model takes, in one phrase for messages.
    public var expectation: String {
        if let side = tasks.imageSide, let classes = tasks.classes {
            let learner = configuration.algorithm.learner
            let ways = learner.usesModelHead ? configuration.architecture.spec.headClasses ?? classes : classes
            return "\(learner.usesModelHead ? "exactly" : "for example") \(ways) classes of \(side)×\(side) gray images"
        }
        return "x,y points (regression)"
    }

    /// Adapts on `support` and predicts `query`: image folders for a classifier, CSV files for a
    /// regression model (``ImageFolders``, ``PointTable``).
    /// - Parameter support: nil only for a regression model at 0 steps (the model as trained).
    /// - Throws: ``AdaptError`` in one line: the data does not suit the model (saying what it
    ///   expects), or a file cannot be read or decoded.
    public func run(support: URL?, query: URL) throws -> AdaptationResult {
        if tasks.classes != nil {
            guard let side = tasks.imageSide else {
                throw AdaptError("\(configuration.name) classifies \(configuration.family.name) inputs, which adapt cannot read from files")
            }
            return .classification(try classify(support: support, query: query, side: side))
        }
        return .regression(try regress(support: support, query: query))
    }

    /// The model's query outputs after ``steps`` steps of the learner's adaptation on `input`
    /// (or its adaptation without steps: ``Learner/adaptsBySteps``): the last entry of
    /// ``Learner/queryOutputs(model:parameters:input:inner:steps:)``.
    public func outputs(_ input: AdaptationInput<Float>) -> Tensor<Float> {
        configuration.algorithm.queryOutputs(model: configuration.model, parameters: parameters, input: input,
                                             inner: configuration.inner, steps: steps).last!
    }

    // MARK: - Classification

    /// The support folder and query images as model inputs, with the class names and the query's
    /// files and known labels.
    public func classificationInput(support: URL?, query: URL, side: Int) throws
        -> (input: AdaptationInput<Float>, classes: [String], queries: [(file: URL, label: Int?)]) {
        let learner = configuration.algorithm.learner
        guard let support else {
            throw AdaptError("\(configuration.name) is a classifier: give --support, a folder with one subfolder per class, "
                             + "which names its outputs" + (learner.usesModelHead ? " (even at --steps 0)" : ""))
        }
        let (classes, files) = try ImageFolders.support(at: support)
        if learner.usesModelHead, let head = configuration.architecture.spec.headClasses, head != classes.count {
            throw AdaptError("--support \(support.path) holds \(classes.count) class folders (\(Self.list(classes))); "
                             + "the model's head has \(head) outputs: give exactly \(head) classes")
        }
        guard classes.count >= 2 else {
            throw AdaptError("--support \(support.path) holds 1 class folder; give at least 2 classes to tell apart")
        }
        let shots = files.map(\.count)
        if Set(shots).count > 1 {
            throw AdaptError("--support \(support.path): the classes hold different numbers of images ("
                             + zip(classes, shots).map { "\($0): \($1)" }.joined(separator: ", ") + "); give every class the same number")
        }
        let queries = try ImageFolders.query(at: query, classes: classes)
        let input = AdaptationInput(supportInputs: try ImageFolders.inputs(files.flatMap { $0 }, side: side),
                                    supportTargets: .classification(files.enumerated().flatMap { k, f in f.map { _ in k } }),
                                    queryInputs: try ImageFolders.inputs(queries.map(\.file), side: side))
        return (input, classes, queries)
    }

    func classify(support: URL?, query: URL, side: Int) throws -> ClassificationResult {
        let (input, classes, queries) = try classificationInput(support: support, query: query, side: side)
        let scores = outputs(input)
        let learner = configuration.algorithm.learner
        let rows = (0..<queries.count).map { i -> ClassificationResult.Query in
            let logits = (0..<classes.count).map { Double(scores[i, $0]) }
            let probabilities = learner.classProbabilities(scores: logits)
            let best = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
            return .init(file: queries[i].file.path, label: classes[best], probability: probabilities[best],
                         truth: queries[i].label.map { classes[$0] }, probabilities: probabilities, logits: logits)
        }
        return ClassificationResult(model: header, classes: classes, shots: input.supportTargets.count / classes.count, queries: rows)
    }

    // MARK: - Regression

    func regress(support: URL?, query: URL) throws -> RegressionResult {
        let q = try PointTable.read(query, option: "--query", columns: [1, 2])
        let s: PointTable
        if let support {
            s = try PointTable.read(support, option: "--support", columns: [2])
        } else if steps == 0 {
            s = PointTable(x: [], y: [])
        } else {
            throw AdaptError("give --support, a CSV file of x,y rows, to adapt on (or --steps 0 for the model as trained)")
        }
        func column(_ v: [Double]) -> Tensor<Float> { Tensor(shape: [v.count, 1], scalars: v.map { Float($0) }) }
        let input = AdaptationInput(supportInputs: column(s.x), supportTargets: .regression(column(s.y ?? [])),
                                    queryInputs: column(q.x))
        let predicted = outputs(input)
        let rows = q.x.indices.map { RegressionResult.Query(x: q.x[$0], y: Double(predicted[$0, 0]), target: q.y?[$0]) }
        return RegressionResult(model: header, supportPoints: s.x.count, queries: rows)
    }

    // MARK: -

    var header: ModelHeader {
        ModelHeader(configuration: configuration.name, learner: configuration.algorithm.rawValue, iteration: iteration,
                    steps: configuration.algorithm.learner.adaptsBySteps ? steps : nil)
    }

    static func list(_ names: [String]) -> String {
        names.count <= 6 ? names.joined(separator: ", ") : names.prefix(5).joined(separator: ", ") + ", …"
    }
}
