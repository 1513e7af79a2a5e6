import RealModule
import CBLAS

extension Double: TensorScalar {
    public static var dtypeName: String { "f64" }

    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
           Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    public static func unary(_ op: UnaryKernel, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>,
                             count: Int, parameter: Double) {
        unaryKernel(op, x, y, count, parameter)
    }
    public static func binary(_ op: BinaryKernel, _ a: UnsafePointer<Double>, aStrides: [Int],
                              _ b: UnsafePointer<Double>, bStrides: [Int],
                              _ out: UnsafeMutablePointer<Double>, shape: [Int]) {
        binaryKernel(op, a, aStrides, b, bStrides, out, shape)
    }
    public static func reduceSum(_ x: UnsafePointer<Double>, shape: [Int], outStrides: [Int],
                                 _ out: UnsafeMutablePointer<Double>, outCount: Int) {
        reduceSumKernel(x, shape, outStrides, out, outCount)
    }
    public static func argmax(_ x: UnsafePointer<Double>, outer: Int, n: Int, inner: Int,
                              _ indices: UnsafeMutablePointer<Int32>) {
        argmaxKernel(x, outer, n, inner, indices)
    }
    public static func maxPoolIndices(_ x: UnsafePointer<Double>, planes: Int, height: Int, width: Int,
                                      window: Int, stride: Int, _ indices: UnsafeMutablePointer<Int32>) {
        maxPoolIndicesKernel(x, planes, height, width, window, stride, indices)
    }
    public static func gather(_ x: UnsafePointer<Double>, _ indices: UnsafePointer<Int32>, count: Int,
                              _ out: UnsafeMutablePointer<Double>) {
        for i in 0..<count { out[i] = x[Int(indices[i])] }
    }
    public static func scatterAdd(_ x: UnsafePointer<Double>, _ indices: UnsafePointer<Int32>, count: Int,
                                  _ out: UnsafeMutablePointer<Double>, outCount: Int) {
        out.initialize(repeating: 0, count: outCount)
        for i in 0..<count { out[Int(indices[i])] += x[i] }
    }
    public static func permute(_ x: UnsafePointer<Double>, shape: [Int], perm: [Int], _ out: UnsafeMutablePointer<Double>) {
        permuteKernel(x, shape, perm, out)
    }
    public static func im2col(_ x: UnsafePointer<Double>, _ geometry: ConvolutionGeometry, _ col: UnsafeMutablePointer<Double>) {
        im2colKernel(x, geometry, col)
    }
    public static func col2im(_ col: UnsafePointer<Double>, _ geometry: ConvolutionGeometry, _ x: UnsafeMutablePointer<Double>) {
        col2imKernel(col, geometry, x)
    }
    public static func fill(_ out: UnsafeMutablePointer<Double>, count: Int, value: Double) {
        out.initialize(repeating: value, count: count)
    }
    public static func toDouble(_ x: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count { out[i] = Double(x[i]) }
    }
    public static func fromDouble(_ x: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count { out[i] = Double(x[i]) }
    }
}
