/// One dimension of the ``SearchSpace``, named as in `search.yaml`'s `space:` section.
public enum SearchDimension: String, Sendable, CaseIterable, Codable {
    case blocks, filters, kernel, downsampling, normalization, learner
    case innerSteps = "inner_steps"
    case innerLearningRate = "inner_learning_rate"
    case outerLearningRate = "outer_learning_rate"
}
