import MetaTensor
import MetaRandom
import MetaTasks

extension ABML {
    /// The purpose of the reparameterisation noise streams.
    public static let noisePurpose = RandomPurpose("abml-posterior-noise")

    /// The key of a task's noise streams: a fixed hash (FNV-1a) of the bits of its support
    /// inputs, support targets and query inputs.
    ///
    /// A ``Task`` does not carry its coordinates (seed, iteration, index), but its content is a
    /// pure function of them, the same in every process: keying the noise by content gives each
    /// task its own streams, identical whichever worker or shard computes it, and the same
    /// noise for the same task at evaluation and in `metatrain adapt`. (Two tasks with exactly
    /// the same data share their noise, which is harmless.)
    public static func sampleKey<S: TensorScalar>(_ input: AdaptationInput<S>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ t: Tensor<S>) {
            for d in t.shape { h = (h ^ UInt64(d)) &* 0x0000_0100_0000_01B3 }
            t.withUnsafeBufferPointer { buffer in
                for x in buffer { h = (h ^ Double(x).bitPattern) &* 0x0000_0100_0000_01B3 }
            }
        }
        mix(input.supportInputs)
        switch input.supportTargets {
        case let .regression(y): mix(y)
        case let .classification(labels): for l in labels { h = (h ^ UInt64(bitPattern: Int64(l))) &* 0x0000_0100_0000_01B3 }
        }
        mix(input.queryInputs)
        return h
    }

    /// Standard normal noise ε for `samples` posterior draws, one tensor per model parameter of
    /// `shapes`: draw j of slot k comes from the stream (seed: `key`, iteration: k, task: j),
    /// so every (task, inner step, sample) has its own stream and nothing depends on which
    /// process draws it or in which order.
    public static func noise<S: TensorScalar>(for key: UInt64, shapes: [[Int]], slot: UInt64, samples: Int) -> [[Tensor<S>]] {
        (0..<samples).map { j in
            var stream = RandomStream(seed: key, iteration: slot, task: UInt32(j), purpose: noisePurpose)
            return shapes.map { stream.normalTensor($0) }
        }
    }
}
