/// Splits the tasks of a meta-batch into contiguous shards, one per worker, sized in
/// proportion to each worker's measured speed (tasks per second).
///
/// Pure and deterministic. Which worker computes which task has no effect on the result: the
/// coordinator reduces the meta-gradients in task-index order whatever the shards were, so
/// the planner is free to balance load.
public enum ShardPlanner {
    /// Shards of `0..<taskCount` for workers of the given speeds, in worker order; a worker
    /// may get an empty shard when there are more workers than tasks. Speeds that are not
    /// positive and finite count as the mean of the others (or 1).
    public static func plan(taskCount: Int, speeds: [Double]) -> [Range<Int>] {
        planUnits(taskCount, speeds: speeds)
    }

    /// Shards made of whole reduction blocks of `blockSize` tasks (the last block may be
    /// shorter), so every shard starts at a block boundary and ends at one or at `taskCount`.
    public static func plan(taskCount: Int, speeds: [Double], blockSize: Int) -> [Range<Int>] {
        let blocks = (taskCount + blockSize - 1) / blockSize
        return planUnits(blocks, speeds: speeds).map { r in
            min(r.lowerBound * blockSize, taskCount)..<min(r.upperBound * blockSize, taskCount)
        }
    }

    private static func planUnits(_ taskCount: Int, speeds: [Double]) -> [Range<Int>] {
        guard !speeds.isEmpty else { return [] }
        let known = speeds.filter { $0.isFinite && $0 > 0 }
        let fallback = known.isEmpty ? 1 : known.reduce(0, +) / Double(known.count)
        let s = speeds.map { $0.isFinite && $0 > 0 ? $0 : fallback }
        let total = s.reduce(0, +)
        // Largest-remainder apportionment, ties to the earlier worker.
        let exact = s.map { Double(taskCount) * $0 / total }
        var sizes = exact.map { Int($0.rounded(.down)) }
        var left = taskCount - sizes.reduce(0, +)
        let order = exact.indices.sorted { (exact[$0] - Double(sizes[$0]), -$0) > (exact[$1] - Double(sizes[$1]), -$1) }
        var k = 0
        while left > 0 { sizes[order[k % order.count]] += 1; left -= 1; k += 1 }
        // Every worker gets at least one task while tasks last, taken from the largest shard.
        if taskCount >= speeds.count {
            for i in sizes.indices where sizes[i] == 0 {
                let j = sizes.indices.max { sizes[$0] < sizes[$1] }!
                sizes[j] -= 1; sizes[i] += 1
            }
        }
        var start = 0
        return sizes.map { n in defer { start += n }; return start..<(start + n) }
    }
}
