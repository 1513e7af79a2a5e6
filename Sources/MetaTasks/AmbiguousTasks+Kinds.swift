extension AmbiguousTasks: TaskKinds {
    public var kindNames: [String] { ["sine", "line"] }

    /// "sine" or "line", by the task's ``Function``.
    public func kind(seed: UInt64, iteration: UInt64, index: UInt32, split: TaskSplit) -> String {
        switch function(seed: seed, iteration: iteration, index: index, split: split) {
        case .sine: return "sine"
        case .line: return "line"
        }
    }
}
