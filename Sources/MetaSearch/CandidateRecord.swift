/// One trained candidate, as a line of `candidates.jsonl`: which search method proposed it,
/// its index among that method's candidates, its genome, its fitness (validation accuracy) and
/// the wall time its training and scoring took.
///
/// Everything but ``seconds`` is a pure function of (search configuration, method, index):
/// ``sameOutcome(as:)`` compares those fields.
public struct CandidateRecord: Sendable, Equatable, Codable {
    public var method: SearchMethod
    public var index: Int
    public var genome: Genome
    /// The mean validation accuracy after the evaluation protocol's last step.
    public var fitness: Double
    /// The 95 % confidence half-width of ``fitness`` over the validation tasks.
    public var ci95: Double
    /// The model's parameter count (the learner's meta-parameters included).
    public var parameters: Int
    /// Wall time of the training and the scoring, in seconds (not part of the outcome).
    public var seconds: Double

    public init(method: SearchMethod, index: Int, genome: Genome, fitness: Double, ci95: Double, parameters: Int, seconds: Double) {
        self.method = method; self.index = index; self.genome = genome; self.fitness = fitness; self.ci95 = ci95
        self.parameters = parameters; self.seconds = seconds
    }

    /// Whether the two records agree on everything but the wall time.
    public func sameOutcome(as other: CandidateRecord) -> Bool {
        var a = self, b = other
        a.seconds = 0; b.seconds = 0
        return a == b
    }
}
