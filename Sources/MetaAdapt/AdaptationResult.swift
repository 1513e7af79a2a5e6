import Foundation

/// Which checkpoint adapted, and how far.
public struct ModelHeader: Codable, Sendable, Equatable {
    /// The configuration's name (a preset's, or the file's).
    public var configuration: String
    /// The learner (`maml`, `protonet`, …).
    public var learner: String
    public var iteration: Int
    /// Adaptation steps taken; nil for learners that adapt without steps (ProtoNets, Relation Network).
    public var steps: Int?

    var phrase: String {
        "\(learner) (\(configuration), iteration \(iteration))" + (steps.map { ", \($0) adaptation step\($0 == 1 ? "" : "s")" } ?? "")
    }
}

/// Query images classified after adaptation.
public struct ClassificationResult: Codable, Sendable, Equatable {
    public struct Query: Codable, Sendable, Equatable {
        public var file: String
        /// The predicted class (a support folder's name) and its probability.
        public var label: String
        public var probability: Double
        /// The query's class when its folder says so.
        public var truth: String?
        /// Every class's probability and score, in ``ClassificationResult/classes`` order (the
        /// scores are logits; the Relation Network's relation scores in [0, 1]).
        public var probabilities: [Double]
        public var logits: [Double]
    }
    public var model: ModelHeader
    /// The support's class folders, in label order.
    public var classes: [String]
    public var shots: Int
    public var queries: [Query]

    /// The fraction of queries with a known class that were classified right; nil when none is known.
    public var accuracy: Double? {
        let known = queries.filter { $0.truth != nil }
        return known.isEmpty ? nil : Double(known.filter { $0.truth == $0.label }.count) / Double(known.count)
    }
}

/// Query points predicted after adaptation.
public struct RegressionResult: Codable, Sendable, Equatable {
    public struct Query: Codable, Sendable, Equatable {
        public var x: Double
        /// The prediction.
        public var y: Double
        /// The query's y when the CSV gave it.
        public var target: Double?
    }
    public var model: ModelHeader
    public var supportPoints: Int
    public var queries: [Query]

    /// The mean squared error over the queries with a target; nil when none has one.
    public var mse: Double? {
        let known = queries.compactMap { q in q.target.map { (q.y - $0) * (q.y - $0) } }
        return known.isEmpty ? nil : known.reduce(0, +) / Double(known.count)
    }
}

/// What `metatrain adapt` prints: a table, or one JSON object.
public enum AdaptationResult: Sendable, Equatable {
    case classification(ClassificationResult)
    case regression(RegressionResult)

    /// A plain-text table: the header line, then one row per query (file, predicted label and its
    /// probability; or x, predicted y and the target), then the accuracy or MSE when the answers are known.
    public var table: String {
        switch self {
        case let .classification(r):
            var lines = ["adapted \(r.model.phrase) on \(r.classes.count) classes × \(r.shots) shot\(r.shots == 1 ? "" : "s")"]
            let width = max(4, r.queries.map(\.file.count).max() ?? 0)
            let labelWidth = max(5, r.classes.map(\.count).max() ?? 0)
            lines.append(pad("file", width) + "  " + pad("label", labelWidth) + "  probability")
            for q in r.queries {
                lines.append(pad(q.file, width) + "  " + pad(q.label, labelWidth) + "  " + String(format: "%.3f", q.probability)
                             + (q.truth.map { $0 == q.label ? "" : "  (is \($0))" } ?? ""))
            }
            if let a = r.accuracy {
                let known = r.queries.filter { $0.truth != nil }.count
                lines.append(String(format: "accuracy %.1f%% (%d of %d)", a * 100, Int((a * Double(known)).rounded()), known))
            }
            return lines.joined(separator: "\n")
        case let .regression(r):
            var lines = ["adapted \(r.model.phrase) on \(r.supportPoints) support point\(r.supportPoints == 1 ? "" : "s")"]
            let hasTargets = r.queries.contains { $0.target != nil }
            lines.append(pad("x", 12) + "  " + pad("predicted y", 12) + (hasTargets ? "  y" : ""))
            for q in r.queries {
                lines.append(pad(String(format: "%.6g", q.x), 12) + "  " + pad(String(format: "%.6g", q.y), 12)
                             + (q.target.map { "  " + String(format: "%.6g", $0) } ?? ""))
            }
            if let mse = r.mse { lines.append(String(format: "mse %.6g", mse)) }
            return lines.joined(separator: "\n")
        }
    }

    /// One JSON object on one line, keys sorted. Classification: `kind`, `model`, `classes`, `shots`,
    /// `queries[i] = {file, label, probability, probabilities, logits, truth?}`, `accuracy?`;
    /// regression: `kind`, `model`, `support_points`, `queries[i] = {x, y, target?}`, `mse?`.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data: Data
        switch self {
        case let .classification(r): data = try encoder.encode(Tagged(kind: "classification", result: r, accuracy: r.accuracy, mse: nil))
        case let .regression(r): data = try encoder.encode(Tagged(kind: "regression", result: r, accuracy: nil, mse: r.mse))
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The result's keys with `kind` and the summary beside them.
    private struct Tagged<R: Encodable>: Encodable {
        var kind: String, result: R, accuracy: Double?, mse: Double?
        enum Key: String, CodingKey { case kind, accuracy, mse }
        func encode(to encoder: Encoder) throws {
            try result.encode(to: encoder)
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(kind, forKey: .kind)
            try c.encodeIfPresent(accuracy, forKey: .accuracy)
            try c.encodeIfPresent(mse, forKey: .mse)
        }
    }

    private func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
}
