import MetaRuntime

/// A job other than meta-training that workers compute (a learner search): built from the
/// job's text, it answers each assignment's items with a few scalars each.
///
/// The coordinator sends the job's text in the ``MetaRuntime/JobMessage`` in place of a run
/// configuration; a worker builds it with the first of its ``Worker/Options/jobKinds`` whose
/// ``ClusterJobKind/marker`` starts the text (a worker that knows none refuses the job as it
/// refuses a run configuration it cannot parse). The rounds of such a job carry no parameters
/// and ask for ``MetaRuntime/RoundRequest/Output/scalars(_:)`` answers.
///
/// Contract: ``answers(_:)`` is a pure function of the assignment (work code, payload, iteration,
/// item indices) but for wall times, so whichever worker computes an item gives the same
/// answer; it runs on the worker's compute thread, one assignment at a time.
public protocol ClusterJob: Sendable {
    /// Each item's scalars, in the order of `assignment.taskIndices`.
    /// - Throws: an error whose description says why the assignment cannot be computed (it is
    ///   refused as malformed and computed elsewhere).
    func answers(_ assignment: AssignmentMessage) throws -> [[Double]]
}

/// A kind of ``ClusterJob`` a worker can build.
public struct ClusterJobKind: Sendable {
    /// The first line of the job's text that marks this kind (e.g. `# metatrain search job`).
    public var marker: String
    /// Builds the job from its whole text.
    public var build: @Sendable (String) throws -> any ClusterJob

    public init(marker: String, build: @escaping @Sendable (String) throws -> any ClusterJob) {
        self.marker = marker
        self.build = build
    }

    /// Whether `text` is a job of this kind.
    public func matches(_ text: String) -> Bool { text.hasPrefix(marker + "\n") }
}
