/// What the coordinator asks of the workers in one round of an iteration, as the scheduler
/// sees it: the work code and payload every assignment of the round carries, how many items
/// the round has, and the shape of the answer it accepts for each item.
///
/// The learner decides the rounds (MetaAlgorithms' `IterationProgram`); the scheduler only
/// checks answers against ``output`` and keeps, per item, the first valid one, so the
/// reduction is the same whoever computed what.
public struct RoundRequest: Sendable, Equatable {
    /// The shape of each item's answer.
    public enum Output: Sendable, Equatable {
        /// A sum per reduction block in the model's parameter layout, carried by each block's
        /// first item (the meta-gradient round; also Hessian-vector products and the like).
        case blockSums
        /// Exactly this many finite scalars per item, and no block sums (ES fitnesses).
        case scalars(Int)
    }

    /// The work code (``AssignmentMessage/work``): 0 is the meta-gradient step.
    public var work: UInt16
    /// The round's vector (``AssignmentMessage/payload``).
    public var payload: [Double]
    /// Items 0…items−1 of the round (tasks of the meta-batch, perturbation pairs, …).
    public var items: Int
    public var output: Output
    /// For a ``Output/scalars(_:)`` round, the range each of an item's scalars must lie in
    /// (position by position); a worker's answer outside them is rejected like a non-finite one
    /// (counted, that worker not asked again for those items, the items recomputed elsewhere).
    /// Empty: any finite value.
    public var scalarBounds: [ClosedRange<Double>]

    public init(work: UInt16, payload: [Double] = [], items: Int, output: Output, scalarBounds: [ClosedRange<Double>] = []) {
        self.work = work
        self.payload = payload
        self.items = items
        self.output = output
        self.scalarBounds = scalarBounds
    }

    /// The meta-gradient round over `items` tasks: every learner's single round until
    /// iterations had rounds.
    public static func metaGradient(items: Int) -> RoundRequest {
        RoundRequest(work: 0, items: items, output: .blockSums)
    }
}
