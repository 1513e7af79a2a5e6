import MetaTensor

/// Accuracy by presentation index: how often the prediction at the k-th image of a class
/// was right, over the episodes merged in (Santoro et al. 2016, Table 1: 1st, 2nd, 3rd, 4th,
/// 5th and 10th instance).
public struct PresentationAccuracy: Sendable, Equatable {
    /// `correct[k − 1]`, `total[k − 1]`: counts at the k-th presentation.
    public private(set) var correct: [Int], total: [Int]

    public init() { correct = []; total = [] }

    /// Counts one prediction at presentation `k` (1-based).
    public mutating func record(presentation k: Int, correct isCorrect: Bool) {
        require(k >= 1, "presentations are counted from 1, got \(k)")
        while total.count < k { total.append(0); correct.append(0) }
        total[k - 1] += 1
        if isCorrect { correct[k - 1] += 1 }
    }

    /// Adds another set of counts.
    public mutating func merge(_ other: PresentationAccuracy) {
        while total.count < other.total.count { total.append(0); correct.append(0) }
        for i in other.total.indices { total[i] += other.total[i]; correct[i] += other.correct[i] }
    }

    /// The accuracy at presentation `k` (1-based); `nil` when nothing was recorded there.
    public func accuracy(atPresentation k: Int) -> Double? {
        guard k >= 1, k <= total.count, total[k - 1] > 0 else { return nil }
        return Double(correct[k - 1]) / Double(total[k - 1])
    }

    /// The accuracy over presentations `range` together.
    public func accuracy(overPresentations range: ClosedRange<Int>) -> Double? {
        let ks = range.filter { $0 >= 1 && $0 <= total.count }
        let n = ks.reduce(0) { $0 + total[$1 - 1] }
        return n == 0 ? nil : Double(ks.reduce(0) { $0 + correct[$1 - 1] }) / Double(n)
    }
}
