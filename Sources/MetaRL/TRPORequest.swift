/// What a ``TRPOStep`` asks of the tasks of a meta-batch. Every request is answered by the
/// **sum over the meta-batch's tasks, in task-index order**, of one per-task function at the
/// step's parameters θ (the same θ, the same sampled episodes, for every request of a step);
/// the state machine averages. Vectors are the parameters flattened in their layout's order
/// (``FlatParameters``).
///
/// For a cluster, each request is one round (MetaAlgorithms' `MAMLTRPOProgram`): the
/// coordinator sends the request (and its payload), the workers answer each of their tasks'
/// vectors, and the coordinator sums them in task-index order, as ``sum(_:)`` does here.
public enum TRPORequest: Sendable, Equatable {
    /// Per task i: the outer surrogate Lᵢ(θ) and its gradient ∇Lᵢ(θ) (through the inner
    /// adaptation), and the task's metric (mean return after adaptation). Answered by
    /// ``TRPOReply/surrogate(loss:gradient:metric:)``. Payload: none.
    case surrogate
    /// Per task i: the product `∇²KLᵢ(θ) v` of the Hessian of the mean KL divergence between
    /// the adapted policy at θ and at θ̃ (at θ̃ = θ: the Fisher matrix through the inner
    /// adaptation) with `v`. Answered by ``TRPOReply/fisherProduct(_:)``. Payload: v.
    case fisherProduct([Double])
    /// Per task i: the surrogate Lᵢ(θ′) and mean KL divergence KLᵢ(θ′) at the candidate
    /// parameters θ′ (line search). Answered by ``TRPOReply/candidate(loss:kl:)``. Payload: θ′.
    case candidate([Double])
}

/// The answer to a ``TRPORequest``: the sum over the tasks.
public enum TRPOReply: Sendable, Equatable {
    case surrogate(loss: Double, gradient: [Double], metric: Double)
    case fisherProduct([Double])
    case candidate(loss: Double, kl: Double)

    /// The sum of two answers to the same request (the reduction).
    public static func + (a: TRPOReply, b: TRPOReply) -> TRPOReply {
        switch (a, b) {
        case let (.surrogate(l1, g1, m1), .surrogate(l2, g2, m2)):
            return .surrogate(loss: l1 + l2, gradient: zip(g1, g2).map { $0 + $1 }, metric: m1 + m2)
        case let (.fisherProduct(v1), .fisherProduct(v2)): return .fisherProduct(zip(v1, v2).map { $0 + $1 })
        case let (.candidate(l1, k1), .candidate(l2, k2)): return .candidate(loss: l1 + l2, kl: k1 + k2)
        default: preconditionFailure("TRPOReply: adding answers to different requests")
        }
    }

    /// The sum of answers given in task-index order (left to right).
    public static func sum(_ replies: [TRPOReply]) -> TRPOReply {
        precondition(!replies.isEmpty, "TRPOReply.sum: no answers")
        return replies.dropFirst().reduce(replies[0], +)
    }
}
