extension Tensor {
    /// Applies an elementwise unary kernel.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func map(_ op: UnaryKernel, parameter: Scalar = 0) -> Tensor {
        Tensor(shape: shape) { p, n in Scalar.unary(op, storage.pointer, p, count: n, parameter: parameter) }
    }

    /// Applies an elementwise binary kernel with NumPy broadcasting.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func zip(_ op: BinaryKernel, _ a: Tensor, _ b: Tensor) -> Tensor {
        // Fast paths without any stride bookkeeping: equal shapes, or a one-element operand.
        if a.shape == b.shape {
            return Tensor(shape: a.shape) { p, n in
                Scalar.binary(op, a.storage.pointer, aStrides: [1], b.storage.pointer, bStrides: [1], p, shape: [n])
            }
        }
        if b.count == 1 && b.rank <= a.rank {
            return Tensor(shape: a.shape) { p, n in
                Scalar.binary(op, a.storage.pointer, aStrides: [1], b.storage.pointer, bStrides: [0], p, shape: [n])
            }
        }
        if a.count == 1 && a.rank <= b.rank {
            return Tensor(shape: b.shape) { p, n in
                Scalar.binary(op, a.storage.pointer, aStrides: [0], b.storage.pointer, bStrides: [1], p, shape: [n])
            }
        }
        let shape = checked { try Shape.broadcast(a.shape, b.shape, op: "\(op)") }
        let sa = a.shape == shape ? denseStrides(shape) : checked { try Shape.broadcastStrides(a.shape, to: shape, op: "\(op)") }
        let sb = b.shape == shape ? denseStrides(shape) : checked { try Shape.broadcastStrides(b.shape, to: shape, op: "\(op)") }
        return Tensor(shape: shape) { p, _ in
            Scalar.binary(op, a.storage.pointer, aStrides: sa, b.storage.pointer, bStrides: sb, p, shape: shape)
        }
    }

    /// This tensor stretched to `target` (a copy; broadcasting rules as in ``zip(_:_:_:)``).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func broadcast(to target: [Int]) -> Tensor {
        if target == shape { return self }
        let strides = checked { try Shape.broadcastStrides(shape, to: target, op: "broadcast") }
        let zero = Tensor(0)
        return Tensor(shape: target) { p, _ in
            Scalar.binary(.add, storage.pointer, aStrides: strides, zero.storage.pointer,
                          bStrides: [Int](repeating: 0, count: target.count), p, shape: target)
        }
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func + (a: Tensor, b: Tensor) -> Tensor { zip(.add, a, b) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func - (a: Tensor, b: Tensor) -> Tensor { zip(.subtract, a, b) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (a: Tensor, b: Tensor) -> Tensor { zip(.multiply, a, b) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func / (a: Tensor, b: Tensor) -> Tensor { zip(.divide, a, b) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static prefix func - (a: Tensor) -> Tensor { a.map(.negate) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (a: Tensor, s: Scalar) -> Tensor { a.map(.scale, parameter: s) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (s: Scalar, a: Tensor) -> Tensor { a.map(.scale, parameter: s) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func + (a: Tensor, s: Scalar) -> Tensor { a.map(.shift, parameter: s) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func - (a: Tensor, s: Scalar) -> Tensor { a.map(.shift, parameter: -s) }
}
