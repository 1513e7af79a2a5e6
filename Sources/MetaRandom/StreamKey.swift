/// What a random stream is for. Distinct purposes give independent streams under the same
/// seed, iteration and task, so adding a new use of randomness never shifts an existing one.
public struct RandomPurpose: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public let description: String

    /// A purpose identified by a name; the identifier is a fixed hash (FNV-1a) of the UTF-8
    /// bytes, stable across processes and Swift versions (unlike `Hasher`).
    public init(_ name: String) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        rawValue = h; description = name
    }

    public static let initialization = RandomPurpose("initialization")
    public static let taskSampling = RandomPurpose("task-sampling")
    public static let augmentation = RandomPurpose("augmentation")
    public static let evaluation = RandomPurpose("evaluation")
    public static let shuffling = RandomPurpose("shuffling")
    public static let testing = RandomPurpose("testing")
}

/// The identity of one random stream: (seed, iteration, task index, purpose).
///
/// Any process that knows the key regenerates the stream exactly: a worker rebuilds the
/// tasks of iteration 1,234 from the key alone, without any state from earlier iterations.
public struct StreamKey: Hashable, Sendable, CustomStringConvertible {
    public var seed: UInt64
    public var iteration: UInt64
    public var task: UInt32
    public var purpose: RandomPurpose

    public init(seed: UInt64, iteration: UInt64 = 0, task: UInt32 = 0, purpose: RandomPurpose) {
        self.seed = seed; self.iteration = iteration; self.task = task; self.purpose = purpose
    }

    /// The Philox key: a SplitMix64 mix of the seed and the purpose.
    var philoxKey: (UInt32, UInt32) {
        var z = seed &+ purpose.rawValue &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return (UInt32(truncatingIfNeeded: z), UInt32(truncatingIfNeeded: z >> 32))
    }

    public var description: String { "stream(seed \(seed), iteration \(iteration), task \(task), \(purpose))" }
}
