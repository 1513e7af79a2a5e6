/// How long a worker may take for a shard before it is given to another worker too.
///
/// The deadline of a shard of `n` tasks is `slack × n / speed`, clamped to
/// [``floor``, ``cap``], where `speed` is the worker's own measured rate (tasks per second,
/// smoothed over its earlier shards) or, before it has one, the median rate of the other
/// workers; with no rate known anywhere (the first shards of a run) it is ``cap``. Past the
/// deadline the shard is also given to another worker and the first valid result wins, which
/// in synchronous mode is the same bits either way. Every further deadline period the worker
/// stays on the shard counts as another strike; a worker with ``maxStrikes`` strikes in a row
/// (shards past their deadlines without a timely result in between) is dropped, so no peer,
/// however it behaves, can hold an iteration for longer than `maxStrikes` deadlines.
public struct ShardDeadlines: Sendable, Equatable {
    /// The shortest deadline, seconds (> 0).
    public var floor: Double
    /// The longest deadline, seconds (≥ floor).
    public var cap: Double
    /// How many times the expected time a shard may take.
    public var slack: Double
    /// Strikes after which a worker is dropped.
    public var maxStrikes: Int

    public init(floor: Double = 10, cap: Double = 600, slack: Double = 4, maxStrikes: Int = 3) {
        self.floor = floor
        self.cap = max(floor, cap)
        self.slack = slack
        self.maxStrikes = max(1, maxStrikes)
    }

    /// The deadline in seconds for `tasks` tasks at `speed` tasks per second (nil: unknown).
    public func seconds(tasks: Int, speed: Double?) -> Double {
        guard let speed, speed.isFinite, speed > 0 else { return cap }
        let expected = slack * Double(max(1, tasks)) / speed
        return Swift.min(cap, Swift.max(floor, expected.isFinite ? expected : cap))
    }
}
