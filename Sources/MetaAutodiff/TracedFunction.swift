import Foundation
import MetaTensor

/// A pure tensor function compiled by recording: the first two calls with given input
/// shapes run eagerly and are recorded (``Trace/record(inputs:_:)``); when the two
/// recordings are the same program (same primitives on the same slots, bit-identical
/// constants), later calls with those shapes replay it (``Trace/run(_:)``). When they differ
/// (the function depends on its inputs' values in a way a straight-line program cannot
/// express) or a recording is refused, calls with those shapes stay eager. Either way the
/// outputs are bit-identical to the eager function's.
///
/// The function must be the same for every call of one instance (the instance is its
/// cache); safe to call from several threads.
public final class TracedFunction<S: TensorScalar>: @unchecked Sendable {
    private enum Entry {
        case recordedOnce(Trace<S>)
        case compiled(Trace<S>)
        case eager
    }
    private let lock = NSLock()
    private var entries: [[[Int]]: Entry] = [:]

    public init() {}

    /// How calls with these input shapes run now: "recording", "compiled (N instructions)"
    /// or "eager" (for tests and diagnostics).
    public func status(forShapes shapes: [[Int]]) -> String {
        switch lock.withLock({ entries[shapes] }) {
        case nil, .recordedOnce?: return "recording"
        case .compiled(let t)?: return "compiled (\(t.instructionCount) instructions)"
        case .eager?: return "eager"
        }
    }

    /// How many input-shape signatures run compiled.
    public var compiledCount: Int {
        lock.withLock { entries.values.filter { if case .compiled = $0 { true } else { false } }.count }
    }

    /// `body(inputs)`, replayed from a recording when one is known to be valid for these shapes.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func callAsFunction(_ inputs: [Tensor<S>], _ body: ([Tensor<S>]) -> [Tensor<S>]) -> [Tensor<S>] {
        let shapes = inputs.map(\.shape)
        let entry = lock.withLock { entries[shapes] }
        switch entry {
        case .compiled(let trace)?:
            return trace.run(inputs)
        case .eager?:
            return body(inputs)
        case nil:
            let (outputs, trace) = Trace.record(inputs: inputs, body)
            lock.withLock { if entries[shapes] == nil { entries[shapes] = trace.map { .recordedOnce($0) } ?? .eager } }
            return outputs
        case .recordedOnce(let first)?:
            let (outputs, trace) = Trace.record(inputs: inputs, body)
            let next: Entry = trace.map { $0.isSameProgram(as: first) ? .compiled($0) : .eager } ?? .eager
            lock.withLock { entries[shapes] = next }
            return outputs
        }
    }
}
