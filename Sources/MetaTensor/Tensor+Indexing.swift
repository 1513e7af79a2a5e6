extension Tensor {
    /// A copy with axes permuted: result axis `d` is this tensor's axis `permutation[d]`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func permuted(_ permutation: [Int]) -> Tensor {
        require(permutation.sorted() == Array(0..<rank),
                     "shape error in permute: \(permutation) is not a permutation of the axes of \(shape)")
        if permutation == Array(0..<rank) { return self }
        return Tensor(shape: permutation.map { shape[$0] }) { p, _ in
            Scalar.permute(storage.pointer, shape: shape, perm: permutation, p)
        }
    }

    /// Swaps the last two axes.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func transposed() -> Tensor {
        require(rank >= 2, "shape error in transpose: \(shape) has rank < 2")
        var perm = Array(0..<rank); perm.swapAt(rank - 1, rank - 2)
        return permuted(perm)
    }

    /// `result.flat[i] = self.flat[indices[i]]`, shaped `shape`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func gather(flatIndices indices: [Int32], shape outShape: [Int]) -> Tensor {
        require(outShape.reduce(1, *) == indices.count,
                     "shape error in gather: \(indices.count) indices for output shape \(outShape)")
        let n = count
        require(indices.allSatisfy { $0 >= 0 && Int($0) < n }, "gather: index out of range for shape \(shape)")
        return Tensor(shape: outShape) { p, k in
            indices.withUnsafeBufferPointer { Scalar.gather(storage.pointer, $0.baseAddress!, count: k, p) }
        }
    }

    /// Adds each element into `result.flat[indices[i]]` of a zero tensor of `shape`:
    /// the adjoint of ``gather(flatIndices:shape:)``.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func scatterAdd(flatIndices indices: [Int32], shape outShape: [Int]) -> Tensor {
        require(count == indices.count, "shape error in scatterAdd: \(indices.count) indices for \(shape)")
        let n = outShape.reduce(1, *)
        require(indices.allSatisfy { $0 >= 0 && Int($0) < n }, "scatterAdd: index out of range for shape \(outShape)")
        return Tensor(shape: outShape) { p, n in
            indices.withUnsafeBufferPointer {
                Scalar.scatterAdd(storage.pointer, $0.baseAddress!, count: count, p, outCount: n)
            }
        }
    }

    /// The elements `start..<start+length` along `axis`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func slice(axis: Int, start: Int, length: Int) -> Tensor {
        let a = checked { try Shape.axis(axis, rank: rank, shape: shape, op: "slice") }
        require(start >= 0 && length >= 0 && start + length <= shape[a],
                     "shape error in slice: \(start)..<\(start + length) along axis \(axis) of \(shape)")
        var out = shape; out[a] = length
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
        let bytes = MemoryLayout<Scalar>.stride
        return Tensor(shape: out) { p, _ in
            for o in 0..<outer {
                UnsafeMutableRawPointer(p + o * length * inner).copyMemory(
                    from: storage.pointer + (o * shape[a] + start) * inner, byteCount: length * inner * bytes)
            }
        }
    }

    /// A zero tensor of size `size` along `axis` with this tensor placed at `start`:
    /// the adjoint of ``slice(axis:start:length:)``.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func embedded(axis: Int, start: Int, size: Int) -> Tensor {
        let a = checked { try Shape.axis(axis, rank: rank, shape: shape, op: "embed") }
        require(start >= 0 && start + shape[a] <= size,
                     "shape error in embed: \(shape) at \(start) along axis \(axis) of size \(size)")
        var out = shape; out[a] = size
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *), length = shape[a]
        let bytes = MemoryLayout<Scalar>.stride
        return Tensor(shape: out) { p, n in
            Scalar.fill(p, count: n, value: 0)
            for o in 0..<outer {
                UnsafeMutableRawPointer(p + (o * size + start) * inner).copyMemory(
                    from: storage.pointer + o * length * inner, byteCount: length * inner * bytes)
            }
        }
    }

    /// Joins tensors along `axis`; all other dimensions must agree.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func concatenate(_ parts: [Tensor], axis: Int) -> Tensor {
        require(!parts.isEmpty, "concatenate: no tensors")
        let first = parts[0]
        let a = checked { try Shape.axis(axis, rank: first.rank, shape: first.shape, op: "concatenate") }
        for p in parts {
            var x = p.shape, y = first.shape
            require(x.count == y.count, "shape error in concatenate: \(p.shape) vs \(first.shape): ranks differ")
            x[a] = 0; y[a] = 0
            require(x == y, "shape error in concatenate: \(p.shape) vs \(first.shape) differ off axis \(axis)")
        }
        let total = parts.reduce(0) { $0 + $1.shape[a] }
        var out = first.shape; out[a] = total
        let outer = first.shape[..<a].reduce(1, *), inner = first.shape[(a + 1)...].reduce(1, *)
        let bytes = MemoryLayout<Scalar>.stride
        return Tensor(shape: out) { p, _ in
            var offset = 0
            for part in parts {
                let len = part.shape[a]
                for o in 0..<outer {
                    UnsafeMutableRawPointer(p + (o * total + offset) * inner).copyMemory(
                        from: part.storage.pointer + o * len * inner, byteCount: len * inner * bytes)
                }
                offset += len
            }
        }
    }

    /// One-hot rows: `[labels.count, classes]` with a 1 at each label.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func oneHot(_ labels: [Int], classes: Int) -> Tensor {
        require(labels.allSatisfy { $0 >= 0 && $0 < classes }, "oneHot: a label is outside 0..<\(classes)")
        return Tensor(shape: [labels.count, classes]) { p, n in
            Scalar.fill(p, count: n, value: 0)
            for (i, l) in labels.enumerated() { p[i * classes + l] = 1 }
        }
    }
}
