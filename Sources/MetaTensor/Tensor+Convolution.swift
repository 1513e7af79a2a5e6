extension Tensor {
    /// 2-D convolution (cross-correlation, as in every deep-learning library) in NCHW layout:
    /// input `[n, c, h, w]`, filter `[o, c, kh, kw]`, output `[n, o, oh, ow]`.
    ///
    /// Implementation: the whole batch is unfolded once (im2col) into `[c·kh·kw, n·oh·ow]`
    /// and multiplied by the filter in a single GEMM, then the result's first two axes swap.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func conv2d(_ x: Tensor, _ filter: Tensor, stride: Int = 1, padding: Int = 0) -> Tensor {
        let g = checked { try convolutionGeometry(x.shape, filter.shape, stride: stride, padding: padding) }
        let col = x.im2col(g)
        let out = Tensor(shape: [g.outChannels, g.batch, g.outHeight * g.outWidth]) { c, _ in
            Scalar.gemm(transposeA: false, transposeB: false, m: g.outChannels, n: g.columnCount, k: g.patchSize,
                        alpha: 1, a: filter.storage.pointer, lda: g.patchSize, b: col.storage.pointer, ldb: g.columnCount,
                        beta: 0, c: c, ldc: g.columnCount)
        }
        return (g.batch == 1 ? out : out.permuted([1, 0, 2])).reshaped(g.outputShape)
    }

    /// The gradient of ``conv2d(_:_:stride:padding:)`` with respect to its input, given the
    /// output cotangent `dy` (`[n, o, oh, ow]`) and the filter; returns `inputShape`.
    /// Linear in both arguments (it is the adjoint of convolution in `x`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func conv2dBackwardInput(_ dy: Tensor, _ filter: Tensor, inputShape: [Int],
                                           stride: Int, padding: Int) -> Tensor {
        let g = checked { try convolutionGeometry(inputShape, filter.shape, stride: stride, padding: padding) }
        require(dy.shape == g.outputShape,
                     "shape error in conv2dBackwardInput: cotangent \(dy.shape) vs expected output \(g.outputShape)")
        let dyMatrix = dy.outputAsMatrix(g)
        let dcol = Tensor(shape: [g.patchSize, g.columnCount]) { c, _ in
            Scalar.gemm(transposeA: true, transposeB: false, m: g.patchSize, n: g.columnCount, k: g.outChannels,
                        alpha: 1, a: filter.storage.pointer, lda: g.patchSize, b: dyMatrix.storage.pointer, ldb: g.columnCount,
                        beta: 0, c: c, ldc: g.columnCount)
        }
        return Tensor(shape: g.inputShape) { p, _ in Scalar.col2im(dcol.storage.pointer, g, p) }
    }

    /// The gradient of ``conv2d(_:_:stride:padding:)`` with respect to its filter, given the
    /// input `x` and the output cotangent `dy`; returns `filterShape`. Linear in both arguments.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func conv2dBackwardFilter(_ x: Tensor, _ dy: Tensor, filterShape: [Int],
                                            stride: Int, padding: Int) -> Tensor {
        let g = checked { try convolutionGeometry(x.shape, filterShape, stride: stride, padding: padding) }
        require(dy.shape == g.outputShape,
                     "shape error in conv2dBackwardFilter: cotangent \(dy.shape) vs expected output \(g.outputShape)")
        let col = x.im2col(g)
        let dyMatrix = dy.outputAsMatrix(g)
        return Tensor(shape: filterShape) { c, _ in
            Scalar.gemm(transposeA: false, transposeB: true, m: g.outChannels, n: g.patchSize, k: g.columnCount,
                        alpha: 1, a: dyMatrix.storage.pointer, lda: g.columnCount, b: col.storage.pointer, ldb: g.columnCount,
                        beta: 0, c: c, ldc: g.patchSize)
        }
    }

    /// Validates the operands of a convolution and returns its geometry.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func convolutionGeometry(_ input: [Int], _ filter: [Int], stride: Int, padding: Int) throws -> ConvolutionGeometry {
        guard input.count == 4, filter.count == 4 else {
            throw ShapeError(op: "conv2d", shapes: [input, filter], reason: "expected input [n, c, h, w] and filter [o, c, kh, kw]")
        }
        guard input[1] == filter[1] else {
            throw ShapeError(op: "conv2d", shapes: [input, filter], reason: "input has \(input[1]) channels, filter expects \(filter[1])")
        }
        guard stride >= 1, padding >= 0 else {
            throw ShapeError(op: "conv2d", shapes: [input, filter], reason: "stride \(stride) must be ≥ 1 and padding \(padding) ≥ 0")
        }
        let g = ConvolutionGeometry(batch: input[0], channels: input[1], height: input[2], width: input[3],
                                    outChannels: filter[0], kernelHeight: filter[2], kernelWidth: filter[3],
                                    stride: stride, padding: padding)
        guard g.outHeight >= 1, g.outWidth >= 1 else {
            throw ShapeError(op: "conv2d", shapes: [input, filter], reason: "the filter does not fit the padded input")
        }
        return g
    }

    /// Flat indices of the maximum of each `window`×`window` window (stride `stride`, no
    /// padding, floor division like TensorFlow's "VALID") of an `[n, c, h, w]` tensor, and
    /// the pooled shape. Max-pooling is then `gather` with these indices.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func maxPoolIndices(window: Int = 2, stride: Int = 2) -> (indices: [Int32], shape: [Int]) {
        require(rank == 4, "shape error in maxPool: expected [n, c, h, w], got \(shape)")
        require(window >= 1 && stride >= 1 && shape[2] >= window && shape[3] >= window,
                     "shape error in maxPool: window \(window) does not fit \(shape)")
        let oh = (shape[2] - window) / stride + 1, ow = (shape[3] - window) / stride + 1
        let out = [shape[0], shape[1], oh, ow]
        var indices = [Int32](repeating: 0, count: out.reduce(1, *))
        indices.withUnsafeMutableBufferPointer {
            Scalar.maxPoolIndices(storage.pointer, planes: shape[0] * shape[1], height: shape[2], width: shape[3],
                                  window: window, stride: stride, $0.baseAddress!)
        }
        return (indices, out)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func im2col(_ g: ConvolutionGeometry) -> Tensor {
        Tensor(shape: [g.patchSize, g.columnCount]) { p, _ in Scalar.im2col(storage.pointer, g, p) }
    }

    /// `[n, o, oh, ow]` → `[o, n·oh·ow]`, the layout the GEMMs use.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func outputAsMatrix(_ g: ConvolutionGeometry) -> Tensor {
        let hw = g.outHeight * g.outWidth
        let m = reshaped([g.batch, g.outChannels, hw])
        return (g.batch == 1 ? m : m.permuted([1, 0, 2])).reshaped([g.outChannels, g.columnCount])
    }
}
