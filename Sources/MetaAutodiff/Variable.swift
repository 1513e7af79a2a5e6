import MetaTensor

/// A tensor that takes part in differentiation: its value, and the recorded operation that
/// produced it when it depends on a differentiable input.
///
/// Operations on variables compute their value at once (eager) and record a graph node only
/// when some input requires a gradient, so code on constants (evaluation, first-order inner
/// loops) builds no graph at all. Variables are values; the graph they reference is shared
/// and immutable. A variable and its graph belong to one thread.
public struct Variable<Scalar: TensorScalar> {
    /// The computed value.
    public let value: Tensor<Scalar>
    let node: GraphNode<Scalar>?

    /// A constant: gradients do not flow into it.
    public init(_ value: Tensor<Scalar>) { self.value = value; node = nil }

    /// A constant holding one scalar.
    public init(_ scalar: Scalar) { self.init(Tensor(scalar)) }

    init(value: Tensor<Scalar>, node: GraphNode<Scalar>?) { self.value = value; self.node = node }

    /// A differentiable input: a fresh leaf of its own graph that gradients can be taken with respect to.
    public init(differentiable value: Tensor<Scalar>) {
        self.init(value: value, node: GraphNode(.leaf, value: value, inputs: []))
    }

    /// Whether gradients flow through this variable.
    public var requiresGradient: Bool { node != nil }

    /// The same value cut off from the graph (stop-gradient): it is a constant to everything
    /// computed from it. First-order MAML detaches its inner-loop gradients this way.
    public func detached() -> Variable { Variable(value) }

    public var shape: [Int] { value.shape }
    public var rank: Int { value.rank }
    public var count: Int { value.count }
    /// The value of a one-element variable.
    public var scalar: Scalar { value.scalar }

    /// Applies a primitive to inputs: evaluates it and records a node when any input is
    /// differentiable. Every evaluation, differentiable or not, is also handed to the
    /// thread's ``Trace`` recording when one is under way.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func apply(_ primitive: Primitive<Scalar>, _ inputs: [Variable]) -> Variable {
        let value = primitive.evaluate(inputs)
        if let recorder = TraceRecording.current { TraceRecording.record(recorder, primitive, inputs, value) }
        for input in inputs where input.node != nil {
            return Variable(value: value, node: GraphNode(primitive, value: value, inputs: inputs))
        }
        return Variable(value)
    }
}

extension Variable: CustomStringConvertible {
    public var description: String { "Variable(\(value)\(requiresGradient ? ", differentiable" : ""))" }
}
