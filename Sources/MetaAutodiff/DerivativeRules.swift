import MetaTensor

/// All derivative rules of metatrain, one per primitive.
///
/// `pullback` maps the cotangent `g` of a primitive's output to the cotangents of its inputs.
/// Every rule is written with differentiable ``Variable`` operations, never with raw
/// numbers, so when the sweep runs with `createGraph` the rules themselves are recorded and
/// the resulting gradient can be differentiated again. Masks (ReLU, max) are constants: their
/// derivative is zero almost everywhere, which is exactly the second-order behaviour wanted.
/// They are computed by primitives on detached inputs, never from raw values, so that a
/// ``Trace`` records them too.
///
/// - Parameters:
///   - inputs: the primitive's inputs (detached copies when no graph is being built).
///   - output: the primitive's output, for rules that reuse it (exp, tanh, sigmoid, sqrt, ...).
///   - needs: which inputs need a cotangent; rules skip the others (e.g. no input gradient
///     for a network's first convolution).
/// - Returns: one cotangent per input, `nil` where not needed or not differentiable.
@_specialize(where S == Float)
@_specialize(where S == Double)
func pullback<S: TensorScalar>(_ primitive: Primitive<S>, inputs x: [Variable<S>], output y: Variable<S>,
                               cotangent g: Variable<S>, needs: [Bool]) -> [Variable<S>?] {
    switch primitive {
    case .leaf:
        return []

    case let .unary(op, p):
        let a = x[0], p = S(p)
        switch op {
        case .negate: return [-g]
        case .exp: return [g * y]
        case .log: return [g / a]
        case .tanh: return [g * (1 - y.squared())]
        case .sigmoid: return [g * (y * (1 - y))]
        case .relu: return [g * a.detached().map(.positiveMask)]
        case .sqrt: return [g / y * 0.5]
        case .abs: return [g * (a.detached().map(.positiveMask) - (-a.detached()).map(.positiveMask))]
        case .square: return [g * a * 2]
        case .reciprocal: return [-(g * y.squared())]
        case .positiveMask: return [nil]
        case .scale: return [g * p]
        case .shift: return [g]
        case .power:
            if p == 2 { return [g * a * 2] }
            if p == 1 { return [g] }
            return [g * a.pow(p - 1) * p]
        }

    case let .binary(op):
        let (a, b) = (x[0], x[1])
        func reduce(_ v: Variable<S>, to shape: [Int]) -> Variable<S> { v.sum(toShape: shape) }
        switch op {
        case .add:
            return [needs[0] ? reduce(g, to: a.shape) : nil, needs[1] ? reduce(g, to: b.shape) : nil]
        case .subtract:
            return [needs[0] ? reduce(g, to: a.shape) : nil, needs[1] ? reduce(-g, to: b.shape) : nil]
        case .multiply:
            return [needs[0] ? reduce(g * b, to: a.shape) : nil, needs[1] ? reduce(g * a, to: b.shape) : nil]
        case .divide:
            return [needs[0] ? reduce(g / b, to: a.shape) : nil,
                    needs[1] ? reduce(-(g * y) / b, to: b.shape) : nil]
        case .maximum, .minimum:
            // The gradient goes to `b` only where it strictly wins; ties go to `a`.
            let (a0, b0) = (a.detached(), b.detached())
            let maskB = op == .maximum ? Variable.apply(.binary(.greater), [b0, a0]) : Variable.apply(.binary(.greater), [a0, b0])
            let maskA = Variable(S(1)) - maskB
            return [needs[0] ? reduce(g * maskA, to: a.shape) : nil, needs[1] ? reduce(g * maskB, to: b.shape) : nil]
        case .greater, .equal:
            return [nil, nil]
        }

    case .sumToShape:
        return [g.broadcast(to: x[0].shape)]
    case .broadcast:
        return [g.sum(toShape: x[0].shape)]
    case .reshape:
        return [g.reshaped(x[0].shape)]
    case let .permute(p):
        var inverse = [Int](repeating: 0, count: p.count)
        for (i, axis) in p.enumerated() { inverse[axis] = i }
        return [g.permuted(inverse)]

    case let .matmul(ta, tb):
        return matmulPullback(x[0], x[1], g, transposeA: ta, transposeB: tb, needs: needs)

    case let .conv2d(s, pad):
        // y = conv(x, w): dx = convᵀ_x(g, w), dw = convᵀ_w(x, g).
        return [needs[0] ? .apply(.conv2dBackwardInput(inputShape: x[0].shape, stride: s, padding: pad), [g, x[1]]) : nil,
                needs[1] ? .apply(.conv2dBackwardFilter(filterShape: x[1].shape, stride: s, padding: pad), [x[0], g]) : nil]
    case let .conv2dBackwardInput(_, s, pad):
        // y = convᵀ_x(c, w), and ⟨y, G⟩ = ⟨c, conv(G, w)⟩: dc = conv(G, w), dw = convᵀ_w(G, c).
        let (c, w) = (x[0], x[1])
        return [needs[0] ? .apply(.conv2d(stride: s, padding: pad), [g, w]) : nil,
                needs[1] ? .apply(.conv2dBackwardFilter(filterShape: w.shape, stride: s, padding: pad), [g, c]) : nil]
    case let .conv2dBackwardFilter(_, s, pad):
        // y = convᵀ_w(x, c), and ⟨y, V⟩ = ⟨c, conv(x, V)⟩: dx = convᵀ_x(c, V), dc = conv(x, V).
        let (a, c) = (x[0], x[1])
        return [needs[0] ? .apply(.conv2dBackwardInput(inputShape: a.shape, stride: s, padding: pad), [c, g]) : nil,
                needs[1] ? .apply(.conv2d(stride: s, padding: pad), [a, g]) : nil]

    case let .gather(indices, _):
        return [g.scatterAdd(flatIndices: indices, shape: x[0].shape)]
    case let .scatterAdd(indices, _):
        return [g.gather(flatIndices: indices, shape: x[0].shape)]
    case let .slice(axis, start, _):
        return [g.embedded(axis: axis, start: start, size: x[0].shape[axis < 0 ? axis + x[0].rank : axis])]
    case let .embed(axis, start, _):
        return [g.slice(axis: axis, start: start, length: x[0].shape[axis < 0 ? axis + x[0].rank : axis])]
    case let .concatenate(axis):
        var offset = 0
        return x.enumerated().map { i, part in
            let a = axis < 0 ? axis + part.rank : axis
            defer { offset += part.shape[a] }
            return needs[i] ? g.slice(axis: a, start: offset, length: part.shape[a]) : nil
        }
    }
}

/// The pullback of `C = op(A) · op(B)`:
/// - `C = A B`:   dA = G Bᵀ,   dB = Aᵀ G
/// - `C = Aᵀ B`:  dA = B Gᵀ,   dB = A G
/// - `C = A Bᵀ`:  dA = G B,    dB = Gᵀ A
/// - `C = Aᵀ Bᵀ`: dA = Bᵀ Gᵀ,  dB = Gᵀ Aᵀ
/// A shared (unbatched) operand receives the sum over the batch.
private func matmulPullback<S: TensorScalar>(_ a: Variable<S>, _ b: Variable<S>, _ g: Variable<S>,
                                             transposeA ta: Bool, transposeB tb: Bool,
                                             needs: [Bool]) -> [Variable<S>?] {
    if a.rank > 2 && b.rank == 2 && !ta {
        // Batched rows times a shared matrix: treat the stacked rows as one matrix, which
        // also makes dB a single GEMM instead of a batch of products and a sum.
        let k = a.shape[a.rank - 1], n = g.shape[g.rank - 1]
        let grads = matmulPullback(a.reshaped([-1, k]), b, g.reshaped([-1, n]),
                                   transposeA: false, transposeB: tb, needs: needs)
        return [grads[0]?.reshaped(a.shape), grads[1]]
    }
    let mm = Variable<S>.matmul
    var da: Variable<S>? = nil, db: Variable<S>? = nil
    switch (ta, tb) {
    case (false, false):
        if needs[0] { da = mm(g, b, false, true) }; if needs[1] { db = mm(a, g, true, false) }
    case (true, false):
        if needs[0] { da = mm(b, g, false, true) }; if needs[1] { db = mm(a, g, false, false) }
    case (false, true):
        if needs[0] { da = mm(g, b, false, false) }; if needs[1] { db = mm(g, a, true, false) }
    case (true, true):
        if needs[0] { da = mm(b, g, true, true) }; if needs[1] { db = mm(g, a, true, true) }
    }
    return [da?.sum(toShape: a.shape), db?.sum(toShape: b.shape)]
}
