import MetaTasks

extension TaskShape {
    /// The fitness of parameters on tasks of this shape (``TaskFitness``); nil where none is
    /// defined (sequence episodes: their learners have no adaptation operator to score; class
    /// batches: pretraining data with no query set to score an adaptation on).
    public var fitness: (any TaskFitness)? {
        switch self {
        case .supportQuery: SupervisedFitness()
        case .environment: EnvironmentFitness()
        case .sequence, .classBatch: nil
        }
    }
}
