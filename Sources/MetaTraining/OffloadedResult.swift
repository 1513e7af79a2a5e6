import Foundation

/// The result of work on another thread, handed over under a lock.
final class OffloadedResult<T>: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: T?
    private let work: () -> T

    init(_ work: @escaping () -> T) { self.work = work }

    func run() { set(work()) }

    var isDone: Bool { condition.withLock { value != nil } }

    func set(_ v: T) {
        condition.withLock { value = v }
        condition.broadcast()
    }

    func wait() -> T {
        condition.lock()
        defer { condition.unlock() }
        while value == nil { condition.wait() }
        return value!
    }
}
