import Foundation
import MetaTensor
import MetaNN

/// Keeps the ``MetaPolicyTask``s of one meta-iteration between the rounds of its
/// ``TRPORequest``s, so that a process answering several rounds for the same task samples its
/// episodes and takes its inner step once (and keeps the graph of ∇KL for the Fisher products)
/// instead of once per round.
///
/// Only a saving, never a difference: a task is a pure function of its key (seed, iteration,
/// task index, goal, settings, θ and the scalar type), so an answer from a kept task has the
/// bits of one from a task built afresh. The cache holds the tasks of one (seed, iteration,
/// settings, θ) at a time: a task of another one empties it. A task is lent to one caller at
/// a time (``withTask(seed:iteration:task:goal:settings:parameters:make:_:)``); a concurrent
/// caller asking for the same key builds its own.
public final class MetaPolicyTaskCache: @unchecked Sendable {
    /// What a meta-iteration's tasks share.
    struct Step: Hashable {
        var seed: UInt64, iteration: UInt64, settings: RLSettings, theta: [Double], scalar: ObjectIdentifier
    }
    struct Key: Hashable {
        var task: UInt32, goalX: Double, goalY: Double
    }

    /// The process's cache.
    public static let shared = MetaPolicyTaskCache()

    private let lock = NSLock()
    private var step: Step?
    private var tasks: [Key: AnyObject] = [:]

    public init() {}

    /// Tasks kept now.
    public var count: Int { lock.withLock { tasks.count } }

    /// `body` applied to the task of this key: the kept one, or `make()` (kept afterwards).
    public func withTask<S: TensorScalar, R>(seed: UInt64, iteration: UInt64, task: UInt32, goal: (x: Double, y: Double),
                                             settings: RLSettings, parameters: Parameters<Tensor<S>>,
                                             make: () -> MetaPolicyTask<S>, _ body: (MetaPolicyTask<S>) -> R) -> R {
        let s = Step(seed: seed, iteration: iteration, settings: settings, theta: FlatParameters.flatten(parameters),
                     scalar: ObjectIdentifier(S.self))
        let k = Key(task: task, goalX: goal.x, goalY: goal.y)
        let kept = lock.withLock { () -> MetaPolicyTask<S>? in
            guard step == s else { return nil }
            return tasks.removeValue(forKey: k) as? MetaPolicyTask<S>
        }
        let t = kept ?? make()
        defer {
            lock.withLock {
                if step != s { step = s; tasks = [:] }
                tasks[k] = t
            }
        }
        return body(t)
    }
}
