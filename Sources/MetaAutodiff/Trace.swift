import MetaTensor

/// A straight-line program recorded from one eager evaluation: the primitives evaluated, in
/// order, each operand named by slot (an input or an earlier result) or held as a constant.
///
/// ``run(_:)`` replays it on new inputs of the recorded shapes. It evaluates the same kernels
/// on the same operands in the same order, so its outputs are bit-identical to what the eager
/// code would compute on those inputs, without building a graph, running derivative rules
/// or touching reference-counted nodes, and with every intermediate in preallocated memory
/// (``ReplayPlan``): what `jax.jit` does for a pure function, minus the fusion. Gradients are part of the recording, because the sweep of ``gradients(of:withRespectTo:seed:createGraph:)``
/// evaluates primitives like any other code.
///
/// A recording is a valid program only for code whose operations do not depend on the
/// values of its inputs (no branching on values, no tensors computed from them outside
/// primitives); ``TracedFunction`` checks that by recording twice on different inputs.
public final class Trace<S: TensorScalar>: Sendable {
    enum Operand: Equatable, Sendable {
        case slot(Int)
        case constant(Int)
    }

    struct Instruction: Equatable, Sendable {
        let primitive: Primitive<S>
        let operands: [Operand]
        let output: Int
    }

    /// The shapes of the inputs, which occupy slots `0..<inputShapes.count`.
    public let inputShapes: [[Int]]
    let constants: [Tensor<S>]
    let instructions: [Instruction]
    let outputs: [Int]
    let slotCount: Int
    /// The instructions lowered to kernel calls on preallocated memory.
    let plan: ReplayPlan<S>

    /// The number of recorded primitive evaluations.
    public var instructionCount: Int { instructions.count }

    /// How many instructions the replay evaluates through ``Primitive/evaluate(_:)`` on
    /// copies of their operands rather than as a direct kernel call (``ReplayPlan``).
    public var fallbackInstructionCount: Int { plan.fallbackCount }

    init(inputShapes: [[Int]], constants: [Tensor<S>], instructions: [Instruction], outputs: [Int], slotShapes: [[Int]]) {
        self.inputShapes = inputShapes; self.constants = constants; self.instructions = instructions
        self.outputs = outputs; self.slotCount = slotShapes.count
        plan = ReplayPlan(instructions: instructions, constants: constants, inputCount: inputShapes.count,
                          slotShapes: slotShapes, outputs: outputs)
    }

    /// Replays the program on `inputs`, which must have the recorded shapes.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func run(_ inputs: [Tensor<S>]) -> [Tensor<S>] {
        require(inputs.count == inputShapes.count && zip(inputs, inputShapes).allSatisfy { $0.shape == $1 },
                "Trace.run: inputs of shapes \(inputs.map(\.shape)), recorded for \(inputShapes)")
        return plan.run(inputs)
    }

    /// Whether `other` is the same program: the same instructions on the same slots, and
    /// constants that are equal bit for bit.
    public func isSameProgram(as other: Trace) -> Bool {
        inputShapes == other.inputShapes && outputs == other.outputs && slotCount == other.slotCount
            && instructions == other.instructions && constants == other.constants
    }

    /// Evaluates `body` eagerly on `inputs` while recording every primitive it evaluates, on
    /// this thread. `body` must build its variables from the tensors it is given (for
    /// example `Variable(differentiable: inputs[0])`), not from copies.
    ///
    /// - Returns: `body`'s outputs, and the recording, or nil when it cannot be replayed: an
    ///   output that no recorded primitive produced (a constant), two inputs that are the same
    ///   tensor, primitives of another scalar type inside `body`, or a recording already
    ///   under way on this thread.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func record(inputs: [Tensor<S>], _ body: ([Tensor<S>]) -> [Tensor<S>]) -> (outputs: [Tensor<S>], trace: Trace?) {
        guard TraceRecording.current == nil else { return (body(inputs), nil) }
        let recorder = TraceRecorder<S>(inputs: inputs)
        let outputs = TraceRecording.while(recorder) { body(inputs) }
        return (outputs, recorder.trace(outputs: outputs))
    }
}

/// Records the primitives evaluated on one thread (see ``Trace/record(inputs:_:)``).
final class TraceRecorder<S: TensorScalar>: TraceRecorderBase {
    private struct Key: Hashable {
        let storage: ObjectIdentifier
        let shape: [Int]
        init(_ t: Tensor<S>) { storage = t.storageIdentity; shape = t.shape }
    }
    private let inputShapes: [[Int]]
    private var slotOf: [Key: Int] = [:]
    /// Every slot's tensor, kept alive until the recording ends so that no buffer identity
    /// is reused for another tensor meanwhile.
    private var values: [Tensor<S>] = []
    private var constants: [Tensor<S>] = []
    private var constantOf: [Key: Int] = [:]
    private var instructions: [Trace<S>.Instruction] = []
    private var aliasedInputs = false

    init(inputs: [Tensor<S>]) {
        inputShapes = inputs.map(\.shape)
        super.init(scalarType: ObjectIdentifier(S.self))
        for t in inputs {
            if slotOf[Key(t)] != nil { aliasedInputs = true }
            slotOf[Key(t)] = values.count
            values.append(t)
        }
    }

    private func operand(_ t: Tensor<S>) -> Trace<S>.Operand {
        let key = Key(t)
        if let s = slotOf[key] { return .slot(s) }
        if let c = constantOf[key] { return .constant(c) }
        constantOf[key] = constants.count
        constants.append(t)
        return .constant(constants.count - 1)
    }

    func record(_ primitive: Primitive<S>, _ inputs: [Variable<S>], _ output: Tensor<S>) {
        let operands = inputs.map { operand($0.value) }
        let slot = values.count
        values.append(output)
        slotOf[Key(output)] = slot
        instructions.append(.init(primitive: primitive, operands: operands, output: slot))
    }

    func trace(outputs: [Tensor<S>]) -> Trace<S>? {
        guard !aliasedInputs, !sawOtherScalarType else { return nil }
        var slots: [Int] = []
        for t in outputs {
            guard let s = slotOf[Key(t)] else { return nil }
            slots.append(s)
        }
        return Trace(inputShapes: inputShapes, constants: constants, instructions: instructions, outputs: slots,
                     slotShapes: values.map(\.shape))
    }
}

/// The type-erased part of a recorder, which is what the thread-local slot holds.
class TraceRecorderBase {
    let scalarType: ObjectIdentifier
    var sawOtherScalarType = false
    init(scalarType: ObjectIdentifier) { self.scalarType = scalarType }
}
