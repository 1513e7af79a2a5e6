/// How a search proposes candidates: regularized evolution (``AgingEvolution``) or random
/// search (every candidate drawn from the space), the baseline at equal budget (Real et al.
/// 2019 compare the two the same way).
public enum SearchMethod: String, Sendable, CaseIterable, Codable {
    case evolution
    case random
}
