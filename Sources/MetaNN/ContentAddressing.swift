import MetaTensor
import MetaAutodiff

/// Content-based addressing of a memory matrix (Graves et al. 2014; Santoro et al. 2016,
/// memory-augmented networks): read weights are a softmax over the cosine similarity of each
/// key with each memory row, sharpened by a strength β; the read is the weighted sum of rows.
public enum ContentAddressing {
    /// Read weights `[n, slots]` for keys `[n, d]` over memory `[slots, d]`.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func weights<S: TensorScalar>(keys: Variable<S>, memory: Variable<S>, strength: Variable<S>) -> Variable<S> {
        (Losses.cosineSimilarity(keys, memory) * strength).softmax(alongAxis: 1)
    }

    /// The reads `[n, d]`: `weights · memory`.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func read<S: TensorScalar>(keys: Variable<S>, memory: Variable<S>, strength: Variable<S>) -> Variable<S> {
        Variable.matmul(weights(keys: keys, memory: memory, strength: strength), memory)
    }
}
