import MetaTensor
import MetaAutodiff

/// The external memory of a memory-augmented neural network with least-recently-used access
/// (Santoro, Bartunov, Botvinick, Wierstra & Lillicrap, "One-shot learning with
/// memory-augmented neural networks", ICML 2016, §3.1): `slots` rows of `width` values, read
/// and written by `readHeads` heads.
///
/// One ``step(_:keys:gates:)`` at time t, given each head's key `k_t` and gate `α_t`:
/// ```
/// w^lu_{t−1}(i) = 1 if w^u_{t−1}(i) is among the n smallest usages (n = readHeads), else 0
/// w^w_t        = σ(α_t)·w^r_{t−1} + (1 − σ(α_t))·w^lu_{t−1}           (per head)
/// M_{t−1}(i*)  ← 0,  i* = the least-used slot of w^u_{t−1}             ("prior to writing")
/// M_t          = M_{t−1} + Σ_heads w^w_t ⊗ k_t                          (paper eq. 8: the key is written)
/// w^r_t        = softmax_i(β · cos(k_t, M_t(i)))                        (ContentAddressing, β = 1 in the paper)
/// r_t          = Σ_i w^r_t(i) M_t(i)
/// w^u_t        = γ·w^u_{t−1} + Σ_heads w^r_t + Σ_heads w^w_t              (γ = 0.95)
/// ```
/// Everything is a pure function of the explicit ``State`` and differentiable values, so an
/// unrolled episode differentiates to any order. The least-used indicator and the zeroed slot
/// come from comparisons of usage values: piecewise constant, so they are constants of the
/// graph (no gradient flows through the choice of slot, as in every implementation of the
/// paper). Ties are broken by the lower slot index, so the choice is deterministic.
///
/// Shapes (one episode; the memory is not batched): memory `[slots, width]`, usage
/// `[1, slots]`, read weights `[readHeads, slots]`, keys and reads `[readHeads, width]`,
/// gates `[readHeads, 1]`.
public struct LRUMemory: Sendable, Equatable {
    public var slots: Int, width: Int, readHeads: Int
    /// γ: the usage decay.
    public var decay: Double
    /// β: the fixed sharpness of the cosine-similarity softmax (1: the paper's plain softmax).
    public var strength: Double

    public init(slots: Int = 128, width: Int = 40, readHeads: Int = 4, decay: Double = 0.95, strength: Double = 1) {
        require(slots >= 1 && width >= 1 && readHeads >= 1 && readHeads <= slots,
                "LRU memory needs slots ≥ readHeads ≥ 1 and width ≥ 1, got \(slots)×\(width), \(readHeads) heads")
        self.slots = slots; self.width = width; self.readHeads = readHeads; self.decay = decay; self.strength = strength
    }

    /// The memory, the usage weights and the previous read weights after some step.
    public struct State<S: TensorScalar> {
        /// M_t: `[slots, width]`.
        public var memory: Variable<S>
        /// w^u_t: `[1, slots]`.
        public var usage: Variable<S>
        /// w^r_t: `[readHeads, slots]`.
        public var readWeights: Variable<S>

        public init(memory: Variable<S>, usage: Variable<S>, readWeights: Variable<S>) {
            self.memory = memory; self.usage = usage; self.readWeights = readWeights
        }
    }

    /// The state before the first step: empty memory, no usage, nothing read. Which slots are
    /// least used is then decided by the tie-break (the lowest indices); a zero row has cosine
    /// similarity 0 with every key (the ε under the norm), so reads of an empty memory are
    /// uniform.
    public func initialState<S: TensorScalar>(as: S.Type = S.self) -> State<S> {
        State(memory: Variable(Tensor(zeros: [slots, width])), usage: Variable(Tensor(zeros: [1, slots])),
              readWeights: Variable(Tensor(zeros: [readHeads, slots])))
    }

    /// Slot indices ordered by increasing usage, ties by increasing index.
    public static func slotsByUsage<S: TensorScalar>(_ usage: Tensor<S>) -> [Int] {
        let u = usage.scalars
        return u.indices.sorted { u[$0] != u[$1] ? u[$0] < u[$1] : $0 < $1 }
    }

    /// w^lu: `[1, slots]`, 1 at the `count` least-used slots, 0 elsewhere (paper §3.1, with
    /// n = the number of reads).
    public static func leastUsedIndicator<S: TensorScalar>(_ usage: Tensor<S>, count: Int) -> Tensor<S> {
        var indicator = [S](repeating: 0, count: usage.count)
        for i in slotsByUsage(usage).prefix(count) { indicator[i] = 1 }
        return Tensor(shape: [1, usage.count], scalars: indicator)
    }

    /// w^u_t = γ·w^u_{t−1} + Σ_heads w^r_t + Σ_heads w^w_t.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func updatedUsage<S: TensorScalar>(_ usage: Variable<S>, readWeights: Variable<S>, writeWeights: Variable<S>) -> Variable<S> {
        usage * S(decay) + readWeights.sum(alongAxes: [0], keepingDimensions: true)
            + writeWeights.sum(alongAxes: [0], keepingDimensions: true)
    }

    /// w^w_t = σ(α)·w^r_{t−1} + (1 − σ(α))·w^lu_{t−1}: `[readHeads, slots]`.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func writeWeights<S: TensorScalar>(gates: Variable<S>, previousReadWeights: Variable<S>,
                                              leastUsed: Tensor<S>) -> Variable<S> {
        let g = gates.sigmoid()
        return g * previousReadWeights + (1 - g) * Variable(leastUsed)
    }

    /// One write-then-read step; returns the reads `r_t` (`[readHeads, width]`) and the new state.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func step<S: TensorScalar>(_ state: State<S>, keys: Variable<S>, gates: Variable<S>) -> (reads: Variable<S>, state: State<S>) {
        require(keys.shape == [readHeads, width] && gates.shape == [readHeads, 1]
                    && state.memory.shape == [slots, width] && state.usage.shape == [1, slots]
                    && state.readWeights.shape == [readHeads, slots],
                "shape error in LRUMemory.step: keys \(keys.shape), gates \(gates.shape), memory \(state.memory.shape), "
                    + "usage \(state.usage.shape), read weights \(state.readWeights.shape)")
        let order = Self.slotsByUsage(state.usage.value)
        var leastUsed = [S](repeating: 0, count: slots)
        for i in order.prefix(readHeads) { leastUsed[i] = 1 }
        let writes = writeWeights(gates: gates, previousReadWeights: state.readWeights,
                                  leastUsed: Tensor(shape: [1, slots], scalars: leastUsed))
        var keep = [S](repeating: 1, count: slots)
        keep[order[0]] = 0
        let cleared = state.memory * Variable(Tensor(shape: [slots, 1], scalars: keep))
        let memory = cleared + Variable.matmul(writes, keys, transposeA: true)
        let reads = ContentAddressing.weights(keys: keys, memory: memory, strength: Variable(Tensor(S(strength))))
        let usage = updatedUsage(state.usage, readWeights: reads, writeWeights: writes)
        return (Variable.matmul(reads, memory), State(memory: memory, usage: usage, readWeights: reads))
    }
}
