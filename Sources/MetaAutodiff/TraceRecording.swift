#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MetaTensor

/// The recorder active on the current thread, if any: a thread-local slot that
/// ``Variable/apply(_:_:)`` checks after every evaluation (one `pthread_getspecific` when
/// nothing is being recorded).
enum TraceRecording {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key, nil)
        precondition(status == 0, "TraceRecording: pthread_key_create failed (\(status))")
        return key
    }()

    /// The active recorder (unretained), or nil.
    @inline(__always)
    static var current: UnsafeMutableRawPointer? { pthread_getspecific(key) }

    /// Runs `body` with `recorder` active on this thread.
    static func `while`<R>(_ recorder: TraceRecorderBase, _ body: () -> R) -> R {
        let raw = Unmanaged.passRetained(recorder).toOpaque()
        pthread_setspecific(key, raw)
        defer {
            pthread_setspecific(key, nil)
            Unmanaged<TraceRecorderBase>.fromOpaque(raw).release()
        }
        return body()
    }

    /// Hands one evaluation to the active recorder `raw`.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func record<S: TensorScalar>(_ raw: UnsafeMutableRawPointer, _ primitive: Primitive<S>, _ inputs: [Variable<S>],
                                        _ output: Tensor<S>) {
        let base = Unmanaged<TraceRecorderBase>.fromOpaque(raw).takeUnretainedValue()
        guard base.scalarType == ObjectIdentifier(S.self) else { base.sawOtherScalarType = true; return }
        unsafeDowncast(base, to: TraceRecorder<S>.self).record(primitive, inputs, output)
    }
}
