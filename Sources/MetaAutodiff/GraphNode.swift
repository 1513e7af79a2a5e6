import MetaTensor

/// One recorded operation: the primitive and the variables it was applied to.
///
/// Nodes point only at their inputs, so the graph is a DAG kept alive by the variables
/// computed from it; when the last of those goes (for MAML: when a task's meta-gradient has
/// been taken and its locals go out of scope) the whole graph is released. Not thread-safe:
/// a graph belongs to the thread that built it (``Variable`` is not `Sendable`).
final class GraphNode<Scalar: TensorScalar> {
    let primitive: Primitive<Scalar>
    /// The output value (shared storage, no copy); derivative rules may reuse it.
    let value: Tensor<Scalar>
    private(set) var inputs: [Variable<Scalar>]
    /// Scratch index used during one gradient sweep; -1 outside a sweep.
    var slot: Int = -1

    init(_ primitive: Primitive<Scalar>, value: Tensor<Scalar>, inputs: [Variable<Scalar>]) {
        self.primitive = primitive
        self.value = value
        self.inputs = inputs
    }

    deinit { releaseInputs() }

    /// Releases long chains iteratively: the default recursive release of a deep graph (many
    /// inner steps) would otherwise use stack in proportion to its depth. Pre-specialised, so
    /// the `Float` and `Double` graphs are released without runtime generic-metadata lookups.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func releaseInputs() {
        var stack: [GraphNode] = inputs.compactMap { $0.node }
        inputs = []
        while var node = stack.popLast() {
            if isKnownUniquelyReferenced(&node) {
                stack.append(contentsOf: node.inputs.compactMap { $0.node })
                node.inputs = []
            }
        }
    }
}
