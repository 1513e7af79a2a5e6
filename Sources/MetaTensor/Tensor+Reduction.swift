extension Tensor {
    /// Sums over the dimensions that `target` broadcasts, giving a tensor of shape `target`:
    /// the adjoint of ``broadcast(to:)``. `target` must broadcast to this tensor's shape.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sum(toShape target: [Int]) -> Tensor {
        if target == shape { return self }
        let outStrides = checked { try Shape.broadcastStrides(target, to: shape, op: "sum(toShape:)") }
        let outCount = target.reduce(1, *)
        return Tensor(shape: target) { p, _ in
            Scalar.reduceSum(storage.pointer, shape: shape, outStrides: outStrides, p, outCount: outCount)
        }
    }

    /// The slices `range` along the first axis added left to right in `Scalar` arithmetic,
    /// `((x[r₀] + x[r₀+1]) + x[r₀+2]) + …` elementwise, with the first axis dropped.
    ///
    /// The same bits as slicing the tensor and adding the slices one by one with `+` (a
    /// reduction over tensors computed separately), without materialising the slices. Unlike
    /// ``sum(toShape:)`` it does not accumulate in `Double`: its order and precision are those
    /// of the tensor-by-tensor sum it stands for.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sequentialSum(ofSlices range: Range<Int>) -> Tensor {
        require(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0] && !range.isEmpty,
                "shape error in sequentialSum: slices \(range) of \(shape)")
        let inner = count / shape[0]
        return Tensor(shape: Array(shape.dropFirst())) { p, _ in
            let x = storage.pointer
            p.update(from: x + range.lowerBound * inner, count: inner)
            for r in range.dropFirst() {
                let row = x + r * inner
                for i in 0..<inner { p[i] = p[i] + row[i] }
            }
        }
    }

    /// Sums along `axes`; keeps them as size-1 dimensions when `keepingDimensions`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let kept = reducedShape(axes, op: "sum(alongAxes:)")
        let result = sum(toShape: kept)
        return keepingDimensions ? result : result.reshaped(droppingAxes(axes))
    }

    /// The sum of all elements as a rank-0 tensor.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sum() -> Tensor { sum(toShape: [Int](repeating: 1, count: rank)).reshaped([]) }

    /// The mean of all elements as a rank-0 tensor.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func mean() -> Tensor { sum() * (1 / Scalar(Swift.max(count, 1))) }

    /// Flat indices of the first maximum along `axis` (the reduced axis is dropped from `shape`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func argmax(alongAxis axis: Int) -> (indices: [Int32], shape: [Int]) {
        let a = checked { try Shape.axis(axis, rank: rank, shape: shape, op: "argmax") }
        let outer = shape[..<a].reduce(1, *), n = shape[a], inner = shape[(a + 1)...].reduce(1, *)
        require(n > 0, "shape error in argmax: axis \(axis) of \(shape) is empty")
        var indices = [Int32](repeating: 0, count: outer * inner)
        indices.withUnsafeMutableBufferPointer { Scalar.argmax(storage.pointer, outer: outer, n: n, inner: inner, $0.baseAddress!) }
        var out = shape; out.remove(at: a)
        return (indices, out)
    }

    /// The shape with `axes` set to 1 (validated).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func reducedShape(_ axes: [Int], op: String) -> [Int] {
        var s = shape
        for axis in axes { s[checked { try Shape.axis(axis, rank: rank, shape: shape, op: op) }] = 1 }
        return s
    }

    /// The shape with `axes` removed.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func droppingAxes(_ axes: [Int]) -> [Int] {
        let resolved = Set(axes.map { $0 < 0 ? $0 + rank : $0 })
        return shape.enumerated().filter { !resolved.contains($0.offset) }.map(\.element)
    }
}
