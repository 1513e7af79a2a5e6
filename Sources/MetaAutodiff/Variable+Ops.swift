import MetaTensor

// The differentiable operations on variables. Each records one primitive; composite
// functions (softmax, losses, batch norm, ...) are built from these elsewhere.

extension Variable {
    // MARK: Elementwise

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func map(_ op: UnaryKernel, parameter: Scalar = 0) -> Variable {
        .apply(.unary(op, parameter: Double(parameter)), [self])
    }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func exp() -> Variable { map(.exp) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func log() -> Variable { map(.log) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func tanh() -> Variable { map(.tanh) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sigmoid() -> Variable { map(.sigmoid) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func relu() -> Variable { map(.relu) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sqrt() -> Variable { map(.sqrt) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func abs() -> Variable { map(.abs) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func squared() -> Variable { map(.square) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func reciprocal() -> Variable { map(.reciprocal) }
    /// `self ^ exponent` for a constant exponent.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func pow(_ exponent: Scalar) -> Variable { map(.power, parameter: exponent) }
    /// `self ^ exponent` elementwise for a tensor exponent (`exp(exponent · log self)`; self > 0).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func pow(_ exponent: Variable) -> Variable { (exponent * log()).exp() }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func + (a: Variable, b: Variable) -> Variable { .apply(.binary(.add), [a, b]) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func - (a: Variable, b: Variable) -> Variable { .apply(.binary(.subtract), [a, b]) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (a: Variable, b: Variable) -> Variable { .apply(.binary(.multiply), [a, b]) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func / (a: Variable, b: Variable) -> Variable { .apply(.binary(.divide), [a, b]) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static prefix func - (a: Variable) -> Variable { a.map(.negate) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (a: Variable, s: Scalar) -> Variable { a.map(.scale, parameter: s) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (s: Scalar, a: Variable) -> Variable { a.map(.scale, parameter: s) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func / (a: Variable, s: Scalar) -> Variable { a.map(.scale, parameter: 1 / s) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func + (a: Variable, s: Scalar) -> Variable { a.map(.shift, parameter: s) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func + (s: Scalar, a: Variable) -> Variable { a.map(.shift, parameter: s) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func - (a: Variable, s: Scalar) -> Variable { a.map(.shift, parameter: -s) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func - (s: Scalar, a: Variable) -> Variable { (-a).map(.shift, parameter: s) }

    /// Elementwise maximum; the gradient goes to `a` where `a ≥ b`, else to `b`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func maximum(_ a: Variable, _ b: Variable) -> Variable { .apply(.binary(.maximum), [a, b]) }
    /// Elementwise minimum; the gradient goes to `a` where `a ≤ b`, else to `b`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func minimum(_ a: Variable, _ b: Variable) -> Variable { .apply(.binary(.minimum), [a, b]) }

    // MARK: Shapes

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func reshaped(_ shape: [Int]) -> Variable {
        let target = value.reshaped(shape).shape
        return target == self.shape ? self : .apply(.reshape(target), [self])
    }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func permuted(_ permutation: [Int]) -> Variable {
        permutation == Array(0..<rank) ? self : .apply(.permute(permutation), [self])
    }
    /// Swaps the last two axes.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func transposed() -> Variable {
        var p = Array(0..<rank); p.swapAt(rank - 1, rank - 2)
        return permuted(p)
    }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func broadcast(to shape: [Int]) -> Variable {
        shape == self.shape ? self : .apply(.broadcast(to: shape), [self])
    }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func slice(axis: Int, start: Int, length: Int) -> Variable {
        .apply(.slice(axis: axis, start: start, length: length), [self])
    }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func embedded(axis: Int, start: Int, size: Int) -> Variable {
        .apply(.embed(axis: axis, start: start, size: size), [self])
    }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func concatenate(_ parts: [Variable], axis: Int) -> Variable {
        parts.count == 1 ? parts[0] : .apply(.concatenate(axis: axis), parts)
    }

    // MARK: Reductions

    /// Sums over the axes that `shape` broadcasts (the adjoint of ``broadcast(to:)``).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sum(toShape shape: [Int]) -> Variable {
        shape == self.shape ? self : .apply(.sumToShape(shape), [self])
    }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Variable {
        let kept = sum(toShape: value.reducedShape(axes, op: "sum(alongAxes:)"))
        return keepingDimensions ? kept : kept.reshaped(value.droppingAxes(axes))
    }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Variable {
        let n = axes.reduce(1) { $0 * shape[$1 < 0 ? $1 + rank : $1] }
        return sum(alongAxes: axes, keepingDimensions: keepingDimensions) * (1 / Scalar(n))
    }
    /// The sum of all elements (rank 0).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sum() -> Variable { sum(toShape: [Int](repeating: 1, count: rank)).reshaped([]) }
    /// The mean of all elements (rank 0).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func mean() -> Variable { sum() * (1 / Scalar(Swift.max(count, 1))) }

    /// The maximum along `axis` (the gradient flows to the first maximal element).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func max(alongAxis axis: Int, keepingDimensions: Bool = false) -> Variable {
        let (indices, shape) = value.argmax(alongAxis: axis)
        var out = shape
        if keepingDimensions { out.insert(1, at: axis < 0 ? axis + rank : axis) }
        return gather(flatIndices: indices, shape: out)
    }

    // MARK: Indexing

    /// `result.flat[i] = self.flat[indices[i]]`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func gather(flatIndices indices: [Int32], shape: [Int]) -> Variable {
        .apply(.gather(indices: indices, shape: shape), [self])
    }
    /// Zeros of `shape` with `self.flat[i]` added at `indices[i]`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func scatterAdd(flatIndices indices: [Int32], shape: [Int]) -> Variable {
        .apply(.scatterAdd(indices: indices, shape: shape), [self])
    }
    /// Rows `indices` of a `[rows, ...]` variable (embedding lookup, class selection).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func rows(_ indices: [Int]) -> Variable {
        let width = shape.dropFirst().reduce(1, *)
        var flat: [Int32] = []; flat.reserveCapacity(indices.count * width)
        for r in indices { for j in 0..<width { flat.append(Int32(r * width + j)) } }
        return gather(flatIndices: flat, shape: [indices.count] + shape.dropFirst())
    }

    // MARK: Linear algebra and convolution

    /// `op(a) · op(b)` over the last two axes (see `Tensor.matmul`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
        .apply(.matmul(transposeA: transposeA, transposeB: transposeB), [a, b])
    }
    /// 2-D convolution, NCHW (see `Tensor.conv2d`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func conv2d(_ x: Variable, _ filter: Variable, stride: Int = 1, padding: Int = 0) -> Variable {
        .apply(.conv2d(stride: stride, padding: padding), [x, filter])
    }
    /// Max-pooling over `window`×`window` windows of an `[n, c, h, w]` variable.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func maxPool2d(window: Int = 2, stride: Int = 2) -> Variable {
        let (indices, shape) = value.maxPoolIndices(window: window, stride: stride)
        return gather(flatIndices: indices, shape: shape)
    }
}
