/// The heap buffer behind a ``Tensor``. Immutable once a tensor has been built from it,
/// except through ``Tensor/withUnsafeMutableBufferPointer(_:)``, which copies first unless
/// the buffer is uniquely referenced (copy-on-write). That is what makes it safe to send.
@usableFromInline
final class TensorStorage<Scalar: TensorScalar>: @unchecked Sendable {
    @usableFromInline let pointer: UnsafeMutablePointer<Scalar>
    @usableFromInline let count: Int

    /// Uninitialised storage; the caller must write all `count` elements. The memory comes
    /// from ``BufferPool``.
    @usableFromInline init(uninitializedCount count: Int) {
        self.count = count
        pointer = BufferPool.allocate(bytes: Swift.max(count, 1) * MemoryLayout<Scalar>.stride)
            .bindMemory(to: Scalar.self, capacity: Swift.max(count, 1))
    }

    deinit { BufferPool.deallocate(UnsafeMutableRawPointer(pointer), bytes: Swift.max(count, 1) * MemoryLayout<Scalar>.stride) }

    @usableFromInline func copy() -> TensorStorage {
        let s = TensorStorage(uninitializedCount: count)
        UnsafeMutableRawPointer(s.pointer).copyMemory(from: pointer, byteCount: count * MemoryLayout<Scalar>.stride)
        return s
    }
}
