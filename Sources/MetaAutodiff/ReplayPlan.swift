import Foundation
import MetaTensor

/// A ``Trace``'s instructions lowered to kernel calls on preallocated memory: what
/// ``Trace/run(_:)`` executes.
///
/// Each instruction is resolved once, when the trace is built, to the kernel call that its
/// primitive's `Tensor` method makes (``TensorScalar/unary(_:_:_:count:parameter:)``,
/// ``TensorScalar/binary(_:_:aStrides:_:bStrides:_:shape:)``,
/// ``TensorScalar/reduceSum(_:shape:outStrides:_:outCount:)``, ``TensorScalar/gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``,
/// ``TensorScalar/permute(_:shape:perm:_:)``), with the same strides, sizes and operands, so
/// every result has the bits of the eager evaluation. A result that is a view of its operand
/// (`reshape`; `leaf`, `broadcast`, `sumToShape` and `permute` when they change nothing)
/// reads the operand's memory, as the eager tensor shares its buffer. Every other
/// intermediate lives in an arena whose buffers are assigned by liveness (a buffer is reused,
/// at the same size, once every slot reading it has had its last use), so a step's working
/// set stays small and warm in cache; a run allocates nothing but its outputs, fresh tensors
/// handed to the caller. No shapes, strides, tensors or graph values are built per run.
///
/// Primitives without a lowering here (convolutions, gathers, slices, concatenation) are
/// evaluated by ``Primitive/evaluate(_:)`` on tensor copies of their operands, and the result
/// is copied into place: the same bits, at the cost of the copies.
///
/// Thread safety: a run checks an arena out of a locked stack, so several threads may run
/// one plan at once.
final class ReplayPlan<S: TensorScalar>: @unchecked Sendable {
    /// Where a slot's elements are during a run.
    enum Location: Equatable {
        case input(Int)
        case constant(Int)
        /// The plan's rank-0 zero (the second operand of `broadcast`'s kernel call).
        case zero
        /// Arena elements from this offset.
        case arena(Int)
        /// The fresh tensor of this index, allocated per run (the buffers outputs live in).
        case output(Int)
    }

    enum Step {
        case unary(UnaryKernel, parameter: S, x: Location, y: Location, count: Int)
        case binary(BinaryKernel, a: Location, aStrides: [Int], b: Location, bStrides: [Int], out: Location, shape: [Int])
        case reduceSum(x: Location, shape: [Int], outStrides: [Int], out: Location, outCount: Int)
        /// `count` GEMMs; the `i`-th reads `a + i·aStep`, `b + i·bStep` and writes `c + i·cStep`.
        case gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, a: Location, lda: Int, aStep: Int,
                  b: Location, ldb: Int, bStep: Int, c: Location, ldc: Int, cStep: Int, count: Int)
        case permute(x: Location, shape: [Int], perm: [Int], out: Location)
        /// Evaluated on tensor copies of the operands (of `shapes`), the result copied to `out`.
        case fallback(Primitive<S>, operands: [Location], shapes: [[Int]], out: Location, count: Int)
    }

    let steps: [Step]
    /// Elements of one arena.
    let arenaCount: Int
    /// The shapes of the fresh tensors allocated per run.
    let outputBufferShapes: [[Int]]
    /// Per trace output: where it is and its shape.
    let outputs: [(location: Location, shape: [Int])]
    /// How many steps fall back to ``Primitive/evaluate(_:)`` (for tests and diagnostics).
    let fallbackCount: Int

    private let constants: [Tensor<S>]
    private let zero = Tensor<S>(0)
    private let lock = NSLock()
    private var freeArenas: [UnsafeMutablePointer<S>] = []

    /// Lowers `instructions` whose slots have `slotShapes` (inputs first, `inputCount` of them).
    init(instructions: [Trace<S>.Instruction], constants: [Tensor<S>], inputCount: Int, slotShapes: [[Int]],
         outputs outputSlots: [Int]) {
        self.constants = constants
        let slotCount = slotShapes.count
        func shape(_ operand: Trace<S>.Operand) -> [Int] {
            switch operand {
            case .slot(let s): return slotShapes[s]
            case .constant(let c): return constants[c].shape
            }
        }
        // A view's memory is its operand's: `root` maps every slot to the operand (a slot
        // that owns its memory, or a constant) whose memory it is.
        var root = (0..<slotCount).map { Trace<S>.Operand.slot($0) }
        func rootSlot(_ s: Int) -> Int? { if case .slot(let r) = root[s] { r } else { nil } }
        var lastUse = [Int](repeating: -1, count: slotCount)
        for (i, instruction) in instructions.enumerated() {
            let out = instruction.output
            if let first = instruction.operands.first, Self.isView(instruction.primitive, operandShape: shape(first)) {
                switch first {
                case .slot(let s): root[out] = root[s]
                case .constant: root[out] = first
                }
            }
            for case .slot(let s) in instruction.operands + [.slot(out)] {
                if let r = rootSlot(s) { lastUse[r] = Swift.max(lastUse[r], i) }
            }
        }
        var holdsAnOutput = [Bool](repeating: false, count: slotCount)
        for o in outputSlots { if let r = rootSlot(o) { holdsAnOutput[r] = true } }

        // Memory for every slot that owns some: inputs are the caller's, outputs fresh
        // tensors, the rest arena buffers, reusing a freed buffer of the same size.
        var location = [Location?](repeating: nil, count: slotCount)
        for i in 0..<inputCount { location[i] = .input(i) }
        func locate(_ operand: Trace<S>.Operand) -> Location {
            switch operand {
            case .slot(let s):
                switch root[s] {
                case .slot(let r): return location[r]!
                case .constant(let c): return .constant(c)
                }
            case .constant(let c): return .constant(c)
            }
        }
        var outputShapes: [[Int]] = []
        var freeBySize: [Int: [Int]] = [:]
        var end = 0
        let align = 64 / MemoryLayout<S>.stride
        func elements(_ shape: [Int]) -> Int { Swift.max(shape.reduce(1, *), 1) }
        var steps: [Step] = []
        var fallbacks = 0
        for (i, instruction) in instructions.enumerated() {
            let out = instruction.output
            if rootSlot(out) == out {
                let n = elements(slotShapes[out])
                if holdsAnOutput[out] {
                    location[out] = .output(outputShapes.count)
                    outputShapes.append(slotShapes[out])
                } else if let offset = freeBySize[n]?.popLast() {
                    location[out] = .arena(offset)
                } else {
                    location[out] = .arena(end)
                    end += (n + align - 1) / align * align
                }
                let step = Self.lower(instruction.primitive, operands: instruction.operands.map(locate),
                                      shapes: instruction.operands.map(shape), out: location[out]!,
                                      outShape: slotShapes[out])
                if case .fallback = step { fallbacks += 1 }
                steps.append(step)
            }
            // Buffers whose last use this was go back for reuse.
            var freed: [Int] = []
            for case .slot(let s) in instruction.operands + [.slot(out)] {
                guard let r = rootSlot(s), lastUse[r] == i, !freed.contains(r), case .arena(let offset)? = location[r] else { continue }
                freed.append(r)
                freeBySize[elements(slotShapes[r]), default: []].append(offset)
            }
        }
        self.steps = steps
        self.fallbackCount = fallbacks
        self.arenaCount = Swift.max(end, 1)
        self.outputBufferShapes = outputShapes
        self.outputs = outputSlots.map { (locate(.slot($0)), slotShapes[$0]) }
    }

    deinit { for arena in freeArenas { arena.deallocate() } }

    /// Whether `primitive` on an operand of `operandShape` returns that operand's memory
    /// (what the `Tensor` methods return as `self` or a reshape of it).
    static func isView(_ primitive: Primitive<S>, operandShape: [Int]) -> Bool {
        switch primitive {
        case .leaf, .reshape: return true
        case let .broadcast(target): return target == operandShape
        case let .sumToShape(target): return target == operandShape
        case let .permute(p): return p == Array(0..<operandShape.count)
        default: return false
        }
    }

    /// The kernel call that ``Primitive/evaluate(_:)`` makes through the `Tensor` method, with
    /// that method's fast paths and arguments.
    static func lower(_ primitive: Primitive<S>, operands x: [Location], shapes: [[Int]], out: Location,
                      outShape: [Int]) -> Step {
        func count(_ shape: [Int]) -> Int { shape.reduce(1, *) }
        switch primitive {
        case let .unary(op, p):
            return .unary(op, parameter: S(p), x: x[0], y: out, count: count(shapes[0]))
        case let .binary(op):
            // `Tensor.zip`: equal shapes, a one-element operand, or general broadcasting.
            let a = shapes[0], b = shapes[1]
            if a == b { return .binary(op, a: x[0], aStrides: [1], b: x[1], bStrides: [1], out: out, shape: [count(a)]) }
            if count(b) == 1 && b.count <= a.count {
                return .binary(op, a: x[0], aStrides: [1], b: x[1], bStrides: [0], out: out, shape: [count(a)])
            }
            if count(a) == 1 && a.count <= b.count {
                return .binary(op, a: x[0], aStrides: [0], b: x[1], bStrides: [1], out: out, shape: [count(b)])
            }
            let shape = outShape
            let sa = a == shape ? denseStrides(shape) : checked { try Shape.broadcastStrides(a, to: shape, op: "\(op)") }
            let sb = b == shape ? denseStrides(shape) : checked { try Shape.broadcastStrides(b, to: shape, op: "\(op)") }
            return .binary(op, a: x[0], aStrides: sa, b: x[1], bStrides: sb, out: out, shape: shape)
        case let .sumToShape(target):
            let strides = checked { try Shape.broadcastStrides(target, to: shapes[0], op: "sum(toShape:)") }
            return .reduceSum(x: x[0], shape: shapes[0], outStrides: strides, out: out, outCount: count(target))
        case let .broadcast(target):
            let strides = checked { try Shape.broadcastStrides(shapes[0], to: target, op: "broadcast") }
            return .binary(.add, a: x[0], aStrides: strides, b: .zero, bStrides: [Int](repeating: 0, count: target.count),
                           out: out, shape: target)
        case let .permute(p):
            return .permute(x: x[0], shape: shapes[0], perm: p, out: out)
        case let .matmul(ta, tb):
            let g = checked { try MatmulGeometry(shapes[0], shapes[1], transposeA: ta, transposeB: tb) }
            let lda = shapes[0].last!, ldb = shapes[1].last!
            if g.aBatched && !g.bBatched && !ta {
                return .gemm(transposeA: false, transposeB: tb, m: g.batch * g.m, n: g.n, k: g.k, a: x[0], lda: lda, aStep: 0,
                             b: x[1], ldb: ldb, bStep: 0, c: out, ldc: g.n, cStep: 0, count: 1)
            }
            return .gemm(transposeA: ta, transposeB: tb, m: g.m, n: g.n, k: g.k, a: x[0], lda: lda,
                         aStep: g.aBatched ? g.m * g.k : 0, b: x[1], ldb: ldb, bStep: g.bBatched ? g.k * g.n : 0,
                         c: out, ldc: g.n, cStep: g.m * g.n, count: g.batch)
        default:
            return .fallback(primitive, operands: x, shapes: shapes, out: out, count: count(outShape))
        }
    }

    /// Runs the steps on `inputs` (of the recorded shapes; the caller checks) and returns the outputs.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    func run(_ inputs: [Tensor<S>]) -> [Tensor<S>] {
        let arena = checkOut()
        defer { checkIn(arena) }
        // The fresh tensors are written by the steps below, before anyone reads them.
        var fresh: [Tensor<S>] = []
        var freshPointers: [UnsafeMutablePointer<S>] = []
        fresh.reserveCapacity(outputBufferShapes.count)
        freshPointers.reserveCapacity(outputBufferShapes.count)
        for shape in outputBufferShapes {
            fresh.append(Tensor(shape: shape) { p, _ in freshPointers.append(p) })
        }
        // Pointers stay valid while `inputs`, `constants` and `fresh` hold their buffers.
        let inputPointers = inputs.map { t in t.withUnsafeBufferPointer { UnsafeMutablePointer(mutating: $0.baseAddress!) } }
        let constantPointers = constants.map { t in t.withUnsafeBufferPointer { UnsafeMutablePointer(mutating: $0.baseAddress!) } }
        let zeroPointer = zero.withUnsafeBufferPointer { UnsafeMutablePointer(mutating: $0.baseAddress!) }
        @inline(__always) func p(_ l: Location) -> UnsafeMutablePointer<S> {
            switch l {
            case .input(let i): return inputPointers[i]
            case .constant(let c): return constantPointers[c]
            case .zero: return zeroPointer
            case .arena(let offset): return arena + offset
            case .output(let o): return freshPointers[o]
            }
        }
        for step in steps {
            switch step {
            case let .unary(op, parameter, x, y, count):
                S.unary(op, p(x), p(y), count: count, parameter: parameter)
            case let .binary(op, a, sa, b, sb, out, shape):
                S.binary(op, p(a), aStrides: sa, p(b), bStrides: sb, p(out), shape: shape)
            case let .reduceSum(x, shape, strides, out, outCount):
                S.reduceSum(p(x), shape: shape, outStrides: strides, p(out), outCount: outCount)
            case let .gemm(ta, tb, m, n, k, a, lda, aStep, b, ldb, bStep, c, ldc, cStep, count):
                let pa = p(a), pb = p(b), pc = p(c)
                for i in 0..<count {
                    S.gemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 1, a: pa + i * aStep, lda: lda,
                           b: pb + i * bStep, ldb: ldb, beta: 0, c: pc + i * cStep, ldc: ldc)
                }
            case let .permute(x, shape, perm, out):
                S.permute(p(x), shape: shape, perm: perm, p(out))
            case let .fallback(primitive, operands, shapes, out, count):
                let arguments = zip(operands, shapes).map { location, shape in
                    let source = p(location)
                    return Variable(Tensor<S>(shape: shape) { q, n in q.update(from: source, count: n) })
                }
                let result = primitive.evaluate(arguments)
                result.withUnsafeBufferPointer { p(out).update(from: $0.baseAddress!, count: count) }
            }
        }
        return outputs.map { output in
            switch output.location {
            case .input(let i): return inputs[i].reshaped(output.shape)
            case .constant(let c): return constants[c].reshaped(output.shape)
            case .output(let o): return fresh[o].reshaped(output.shape)
            case .zero, .arena: fatalError("ReplayPlan: an output outside the fresh tensors")
            }
        }
    }

    private func checkOut() -> UnsafeMutablePointer<S> {
        if let arena = lock.withLock({ freeArenas.popLast() }) { return arena }
        return UnsafeMutablePointer<S>.allocate(capacity: arenaCount)
    }

    private func checkIn(_ arena: UnsafeMutablePointer<S>) { lock.withLock { freeArenas.append(arena) } }
}
