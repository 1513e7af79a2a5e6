/// A dense, row-major, n-dimensional array of `Scalar` with value semantics.
///
/// Copies share their buffer until one of them is mutated through
/// ``withUnsafeMutableBufferPointer(_:)`` (copy-on-write); ``reshaped(_:)`` never copies.
/// Operations return new tensors and check shapes first: a mismatch stops with a
/// ``ShapeError`` message naming the operation and both shapes.
public struct Tensor<Scalar: TensorScalar>: Sendable {
    /// The dimensions, outermost first. A rank-0 tensor (`[]`) holds one scalar.
    public let shape: [Int]
    @usableFromInline var storage: TensorStorage<Scalar>

    @usableFromInline init(shape: [Int], storage: TensorStorage<Scalar>) {
        self.shape = shape; self.storage = storage
    }

    /// A tensor whose elements are written by `body` (which must write every element).
    @inlinable
    public init(shape: [Int], initializingWith body: (UnsafeMutablePointer<Scalar>, Int) -> Void) {
        let n = checked { try Shape.count(shape, op: "init") }
        let s = TensorStorage<Scalar>(uninitializedCount: n)
        body(s.pointer, n)
        self.init(shape: shape, storage: s)
    }

    /// A tensor of `shape` holding `scalars` in row-major order.
    public init(shape: [Int], scalars: [Scalar]) {
        let n = checked { try Shape.count(shape, op: "init(shape:scalars:)") }
        require(n == scalars.count,
                     "shape error in init(shape:scalars:): shape \(shape) holds \(n) elements, got \(scalars.count)")
        self.init(shape: shape) { p, n in
            scalars.withUnsafeBufferPointer { src in
                UnsafeMutableRawPointer(p).copyMemory(from: src.baseAddress!, byteCount: n * MemoryLayout<Scalar>.stride)
            }
        }
    }

    /// A tensor of `shape` filled with `value`.
    public init(repeating value: Scalar, shape: [Int]) {
        self.init(shape: shape) { p, n in Scalar.fill(p, count: n, value: value) }
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) { self.init(repeating: 0, shape: shape) }

    /// A rank-0 tensor.
    public init(_ scalar: Scalar) { self.init(repeating: scalar, shape: []) }

    /// Converts from another scalar type (e.g. a `Float` tensor to a `Double` reference).
    public init<Other: TensorScalar>(converting other: Tensor<Other>) {
        let n = other.count
        let tmp = UnsafeMutablePointer<Double>.allocate(capacity: max(n, 1))
        defer { tmp.deallocate() }
        Other.toDouble(other.storage.pointer, tmp, count: n)
        self.init(shape: other.shape) { p, n in Scalar.fromDouble(tmp, p, count: n) }
    }

    /// This tensor converted to another scalar type (no copy when the type is the same).
    public func converted<T: TensorScalar>(to: T.Type = T.self) -> Tensor<T> {
        if let same = self as? Tensor<T> { return same }
        return Tensor<T>(converting: self)
    }

    /// The number of elements.
    @inlinable public var count: Int { storage.count }
    /// The number of dimensions.
    @inlinable public var rank: Int { shape.count }

    /// The elements in row-major order.
    public var scalars: [Scalar] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// The single element of a one-element tensor.
    public var scalar: Scalar {
        require(count == 1, "shape error in scalar: \(shape) has \(count) elements, expected 1")
        return storage.pointer[0]
    }

    /// The element at a multi-dimensional index (for tests and small inspections).
    public subscript(_ index: Int...) -> Scalar {
        require(index.count == rank, "shape error in subscript: index \(index) for shape \(shape)")
        var flat = 0
        for (d, i) in index.enumerated() {
            require(i >= 0 && i < shape[d], "index \(index) out of range for shape \(shape)")
            flat = flat * shape[d] + i
        }
        return storage.pointer[flat]
    }

    /// Reads the elements in place.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Mutates the elements in place, copying the buffer first if it is shared.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    /// The same elements viewed with another shape of equal element count. A `-1` entry is inferred.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var target = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.map(\.element).reduce(1, *)
            require(known > 0 && count % known == 0,
                         "shape error in reshape: \(shape) cannot be viewed as \(newShape)")
            target[inferred] = count / known
        }
        let n = checked { try Shape.count(target, op: "reshape") }
        require(n == count, "shape error in reshape: \(shape) (\(count) elements) vs \(newShape) (\(n) elements)")
        return Tensor(shape: target, storage: storage)
    }

    /// The identity of the buffer: equal for tensors that share it (see ``sharesStorage(with:)``),
    /// and never reused while a tensor holding the buffer is alive.
    public var storageIdentity: ObjectIdentifier { ObjectIdentifier(storage) }

    /// Whether both tensors hold the same buffer (a reshape of the other, or an unmutated copy).
    public func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }
}

extension Tensor: Equatable {
    /// Exact equality of shape and every element (bit-identity checks; use tolerances elsewhere).
    public static func == (a: Tensor, b: Tensor) -> Bool {
        guard a.shape == b.shape else { return false }
        if a.storage === b.storage { return true }
        for i in 0..<a.count where a.storage.pointer[i] != b.storage.pointer[i] { return false }
        return true
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor<\(Scalar.dtypeName)>\(shape)[\(shown)\(count > 8 ? ", …" : "")]"
    }
}
