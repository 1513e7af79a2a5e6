/// A deterministic random stream, identified by a ``StreamKey``.
///
/// Philox4x32-10 with the key's seed and purpose as its key and the counter
/// `(block, task, iteration low, iteration high)`: each stream is a separate counter range,
/// so streams never overlap and a stream needs no state beyond its block position.
/// Conforms to `RandomNumberGenerator`, but the sampling methods below are metatrain's own,
/// so that results never depend on the standard library's algorithms.
public struct RandomStream: RandomNumberGenerator, Sendable {
    public let key: StreamKey
    private let philoxKey: (UInt32, UInt32)
    private var block: UInt32 = 0
    private var buffer: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
    private var used = 4

    public init(_ key: StreamKey) { self.key = key; philoxKey = key.philoxKey }

    public init(seed: UInt64, iteration: UInt64 = 0, task: UInt32 = 0, purpose: RandomPurpose) {
        self.init(StreamKey(seed: seed, iteration: iteration, task: task, purpose: purpose))
    }

    /// How many 32-bit words have been drawn (the whole state besides the key).
    public var position: UInt64 { UInt64(block) * 4 - UInt64(4 - used) }

    /// The next 32 random bits.
    public mutating func next32() -> UInt32 {
        if used == 4 {
            require(block != .max, "random stream \(key) exhausted")
            buffer = Philox.block(counter: (block, key.task, UInt32(truncatingIfNeeded: key.iteration),
                                            UInt32(truncatingIfNeeded: key.iteration >> 32)), key: philoxKey)
            block += 1; used = 0
        }
        defer { used += 1 }
        switch used {
        case 0: return buffer.0
        case 1: return buffer.1
        case 2: return buffer.2
        default: return buffer.3
        }
    }

    public mutating func next() -> UInt64 { UInt64(next32()) << 32 | UInt64(next32()) }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * nextUnit() }

    /// Uniform integer in 0..<bound (Lemire's multiply-and-reject: exactly uniform).
    public mutating func nextInt(below bound: Int) -> Int {
        require(bound > 0, "nextInt(below:) needs a positive bound, got \(bound)")
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// Standard normal (Box–Muller; one draw per call, the pair's second half is discarded so
    /// the stream position depends only on the number of calls).
    public mutating func normal() -> Double {
        let u1 = 1 - nextUnit()  // (0, 1]
        let u2 = nextUnit()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    /// `k` distinct integers from 0..<n in random order (partial Fisher–Yates).
    public mutating func sample(_ k: Int, from n: Int) -> [Int] {
        require(k >= 0 && k <= n, "cannot sample \(k) distinct values from \(n)")
        var pool = Array(0..<n)
        for i in 0..<k { pool.swapAt(i, i + nextInt(below: n - i)) }
        return Array(pool.prefix(k))
    }

    /// Shuffles in place (Fisher–Yates).
    public mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) { items.swapAt(i, nextInt(below: i + 1)) }
    }
}

import MetaTensor
import Foundation
@inline(__always) func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Foundation.cos(x) }
