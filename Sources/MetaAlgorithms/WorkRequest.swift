/// What a learner's ``IterationProgram`` asks for in one round of an iteration: a work code,
/// a payload vector, the number of items, and the shape of each item's answer.
///
/// Every item `i` of the round is computed by ``Learner/workResult(trainer:work:payload:iteration:items:parameters:)``
/// from (work, payload, iteration, i, parameters) alone, in whichever process; the answers are
/// reduced in item-index order (a sum per reduction block of ``MetaGradient/blockSize`` items,
/// or each item's scalars kept in order), so the round's result does not depend on where the
/// items were computed. The cluster's wire form is MetaRuntime's `RoundRequest` (the same four
/// fields; MetaRuntime does not depend on the learners).
public struct WorkRequest: Sendable, Equatable {
    /// What to compute per item. 0 is the per-task meta-gradient step (``Learner/shardResult(model:parameters:tasks:inner:traced:)``);
    /// other codes are the learner's own.
    public var work: UInt16
    /// The round's vector: finite values (a conjugate-gradient direction, a line-search step),
    /// empty when the work needs none. At most the learner's ``Learner/maxPayloadValues(configuration:parameterCount:)``.
    public var payload: [Double]
    /// Items 0…items−1; at most the configuration's meta-batch size.
    public var items: Int
    /// nil: the answer is a block sum in the parameters' layout per reduction block
    /// (``ShardResult/blockSums``); n: exactly n finite scalars per item (``ShardResult/scalars``).
    public var scalarsPerItem: Int?

    public init(work: UInt16, payload: [Double] = [], items: Int, scalarsPerItem: Int? = nil) {
        self.work = work
        self.payload = payload
        self.items = items
        self.scalarsPerItem = scalarsPerItem
    }

    /// The meta-gradient round over `items` tasks (work 0, block sums).
    public static func metaGradient(items: Int) -> WorkRequest { WorkRequest(work: 0, items: items) }
}
