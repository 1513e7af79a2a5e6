import MetaTensor
import MetaAutodiff

/// `metatrain bench ops`: GEMM and convolution throughput at the Omniglot CNN's shapes, and
/// the fixed cost of one operation on tiny tensors (what bounds small models).
public struct OpsBenchmark {
    /// One GEMM's throughput.
    public struct GemmFigure: Codable, Sendable {
        public var label: String, m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool
        public var gflops: Double
    }
    /// One convolution layer's passes.
    public struct ConvolutionFigure: Codable, Sendable {
        public var layer: String, batch: Int, input: [Int], filter: [Int], stride: Int, padding: Int
        /// Forward, input-gradient and filter-gradient passes, each timed alone (median seconds).
        public var forwardSeconds: Double, backwardInputSeconds: Double, backwardFilterSeconds: Double
        /// Images per second through forward + both backward passes.
        public var imagesPerSecond: Double
        /// Effective GFLOP/s of the three passes.
        public var gflops: Double
        /// Time of the three bare GEMMs over the time of the three convolution passes:
        /// the fraction of OpenBLAS's own GEMM speed the convolution reaches.
        public var fractionOfGemm: Double
    }
    /// The fixed cost of one operation.
    public struct OverheadFigure: Codable, Sendable { public var operation: String; public var microseconds: Double }
    /// All figures, in the `--json` key names.
    public struct Report: Codable, Sendable {
        public var threads: Int
        /// The OpenBLAS kernel family in use.
        public var blasCore: String
        public var gemm: [GemmFigure]
        public var convolution: [ConvolutionFigure]
        /// The whole Omniglot CNN conv stack (4 layers, forward + backward) on `convolutionBatch` images.
        public var networkConvolutionImagesPerSecond: Double
        public var networkFractionOfGemm: Double
        public var convolutionBatch: Int
        public var overhead: [OverheadFigure]

        /// The tables `bench ops` prints without `--json`.
        public var table: String {
            var lines = ["GEMM (Float, OpenBLAS \(blasCore) kernels, \(threads) thread\(threads == 1 ? "" : "s"))",
                         pad("shape", 44) + pad("GFLOP/s", 10)]
            for g in gemm {
                lines.append(pad("\(g.label) m\(g.m) n\(g.n) k\(g.k)\(g.transposeA ? " Aᵀ" : "")\(g.transposeB ? " Bᵀ" : "")", 44)
                             + pad(fmt(g.gflops, 1), 10))
            }
            lines += ["", "Convolution, Omniglot CNN layers, batch \(convolutionBatch) (forward + input grad + filter grad)",
                      pad("layer", 10) + pad("fwd µs", 10) + pad("bwd-in µs", 11) + pad("bwd-w µs", 10)
                      + pad("images/s", 11) + pad("GFLOP/s", 9) + "of GEMM"]
            for c in convolution {
                lines.append(pad(c.layer, 10) + pad(fmt(c.forwardSeconds * 1e6, 1), 10) + pad(fmt(c.backwardInputSeconds * 1e6, 1), 11)
                             + pad(fmt(c.backwardFilterSeconds * 1e6, 1), 10) + pad(fmt(c.imagesPerSecond, 0), 11)
                             + pad(fmt(c.gflops, 1), 9) + fmt(c.fractionOfGemm * 100, 0) + "%")
            }
            lines.append("whole conv stack: \(fmt(networkConvolutionImagesPerSecond, 0)) images/s, "
                         + "\(fmt(networkFractionOfGemm * 100, 0))% of bare GEMM time")
            lines += ["", "Per-op overhead on one-element tensors", pad("operation", 52) + "µs/op"]
            for o in overhead { lines.append(pad(o.operation, 52) + fmt(o.microseconds, 3)) }
            return lines.joined(separator: "\n")
        }
    }

    /// OpenBLAS threads (recorded; the caller sets them).
    public let threads: Int
    /// Images per convolution batch.
    public let batch = 5

    public init(threads: Int) { self.threads = threads }

    /// Measures every figure: medians of timed windows after a warm-up, each window about 50 ms.
    /// - Parameter progress: receives one line per group of figures.
    public func run(progress: ((String) -> Void)?) -> Report {
        progress?("measuring GEMM…")
        var gemm: [GemmFigure] = []
        for size in [256, 512] {
            gemm.append(measureGemm("square", m: size, n: size, k: size, ta: false, tb: false))
        }
        let layers = omniglotLayers(batch: batch)
        for (i, g) in layers.enumerated() {
            gemm.append(measureGemm("L\(i + 1) forward", m: g.outChannels, n: g.columnCount, k: g.patchSize, ta: false, tb: false))
        }
        progress?("measuring convolution…")
        var conv: [ConvolutionFigure] = []
        var totalConv = 0.0, totalGemm = 0.0
        for (i, g) in layers.enumerated() {
            let figure = measureConvolution("L\(i + 1)", g)
            conv.append(figure.0)
            totalConv += figure.0.forwardSeconds + figure.0.backwardInputSeconds + figure.0.backwardFilterSeconds
            totalGemm += figure.1
        }
        progress?("measuring per-op overhead…")
        return Report(threads: threads, blasCore: BLASRuntime.coreName, gemm: gemm, convolution: conv,
                      networkConvolutionImagesPerSecond: Double(batch) / totalConv,
                      networkFractionOfGemm: totalGemm / totalConv, convolutionBatch: batch, overhead: overheads())
    }

    func omniglotLayers(batch: Int) -> [ConvolutionGeometry] {
        var size = 28, channels = 1
        var out: [ConvolutionGeometry] = []
        for _ in 0..<4 {
            let g = ConvolutionGeometry(batch: batch, channels: channels, height: size, width: size, outChannels: 64,
                                        kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1)
            out.append(g); size = g.outHeight; channels = 64
        }
        return out
    }

    func gemmSeconds(m: Int, n: Int, k: Int, ta: Bool, tb: Bool) -> Double {
        let a = Tensor<Float>(repeating: 0.5, shape: [m * k]), b = Tensor<Float>(repeating: 0.25, shape: [k * n])
        var c = Tensor<Float>(zeros: [m * n])
        return c.withUnsafeMutableBufferPointer { cp in
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    let body = {
                        Float.gemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 1, a: ap.baseAddress!,
                                   lda: ta ? m : k, b: bp.baseAddress!, ldb: tb ? k : n, beta: 0, c: cp.baseAddress!, ldc: n)
                    }
                    return Stopwatch.medianSeconds(repetitions: Stopwatch.calibrate(body), body)
                }
            }
        }
    }

    func measureGemm(_ label: String, m: Int, n: Int, k: Int, ta: Bool, tb: Bool) -> GemmFigure {
        let t = gemmSeconds(m: m, n: n, k: k, ta: ta, tb: tb)
        return GemmFigure(label: label, m: m, n: n, k: k, transposeA: ta, transposeB: tb, gflops: 2.0 * Double(m * n * k) / t / 1e9)
    }

    /// The figure and the time of the three bare GEMMs the passes perform.
    func measureConvolution(_ name: String, _ g: ConvolutionGeometry) -> (ConvolutionFigure, Double) {
        let x = Tensor<Float>(shape: g.inputShape, scalars: (0..<(g.inputShape.reduce(1, *))).map { Float(($0 * 7919) % 101) / 101 - 0.5 })
        let w = Tensor<Float>(shape: g.filterShape, scalars: (0..<(g.filterShape.reduce(1, *))).map { Float(($0 * 104_729) % 97) / 97 - 0.5 })
        let dy = Tensor.conv2d(x, w, stride: g.stride, padding: g.padding)
        func time(_ body: @escaping () -> Void) -> Double { Stopwatch.medianSeconds(repetitions: Stopwatch.calibrate(body), body) }
        let fwd = time { _ = Tensor.conv2d(x, w, stride: g.stride, padding: g.padding) }
        let bwdIn = time { _ = Tensor.conv2dBackwardInput(dy, w, inputShape: g.inputShape, stride: g.stride, padding: g.padding) }
        let bwdW = time { _ = Tensor.conv2dBackwardFilter(x, dy, filterShape: g.filterShape, stride: g.stride, padding: g.padding) }
        let gemms = gemmSeconds(m: g.outChannels, n: g.columnCount, k: g.patchSize, ta: false, tb: false)
            + gemmSeconds(m: g.patchSize, n: g.columnCount, k: g.outChannels, ta: true, tb: false)
            + gemmSeconds(m: g.outChannels, n: g.patchSize, k: g.columnCount, ta: false, tb: true)
        let total = fwd + bwdIn + bwdW
        let figure = ConvolutionFigure(layer: name, batch: g.batch, input: g.inputShape, filter: g.filterShape, stride: g.stride,
                                       padding: g.padding, forwardSeconds: fwd, backwardInputSeconds: bwdIn,
                                       backwardFilterSeconds: bwdW, imagesPerSecond: Double(g.batch) / total,
                                       gflops: 3.0 * Double(g.forwardFLOPs) / total / 1e9, fractionOfGemm: gemms / total)
        return (figure, gemms)
    }

    func overheads() -> [OverheadFigure] {
        let one = Tensor<Float>(shape: [1], scalars: [1]), two = Tensor<Float>(shape: [1], scalars: [2])
        let c1 = Variable(one), c2 = Variable(two), d1 = Variable(differentiable: one)
        func micro(_ body: @escaping () -> Void) -> Double {
            Stopwatch.medianSeconds(repetitions: Stopwatch.calibrate(body), body) * 1e6
        }
        let chain = 1000
        let backward = micro {
            var x = d1
            for _ in 0..<chain { x = x + c2 }
            _ = gradients(of: x.sum(), withRespectTo: [d1])
        }
        let forwardRecorded = micro { var x = d1; for _ in 0..<chain { x = x + c2 }; _ = x }
        return [
            OverheadFigure(operation: "Tensor + Tensor", microseconds: micro { _ = one + two }),
            OverheadFigure(operation: "Tensor.exp", microseconds: micro { _ = one.map(.exp) }),
            OverheadFigure(operation: "Variable + Variable (constants, no graph)", microseconds: micro { _ = c1 + c2 }),
            OverheadFigure(operation: "Variable + Variable (recorded)", microseconds: micro { _ = d1 + c2 }),
            OverheadFigure(operation: "recorded add, then its share of the backward sweep",
                           microseconds: backward / Double(chain)),
            OverheadFigure(operation: "backward sweep alone, per node",
                           microseconds: (backward - forwardRecorded) / Double(chain)),
        ]
    }
}

private func fmt(_ x: Double, _ digits: Int) -> String {
    var p = 1.0; for _ in 0..<digits { p *= 10 }
    let r = (x * p).rounded() / p
    return digits == 0 ? String(Int(r)) : String(r)
}
private func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
