import RealModule
import CBLAS

extension Float: TensorScalar {
    public static var dtypeName: String { "f32" }

    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
           Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    public static func unary(_ op: UnaryKernel, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                             count: Int, parameter: Float) {
        unaryKernel(op, x, y, count, parameter)
    }
    public static func binary(_ op: BinaryKernel, _ a: UnsafePointer<Float>, aStrides: [Int],
                              _ b: UnsafePointer<Float>, bStrides: [Int],
                              _ out: UnsafeMutablePointer<Float>, shape: [Int]) {
        binaryKernel(op, a, aStrides, b, bStrides, out, shape)
    }
    public static func reduceSum(_ x: UnsafePointer<Float>, shape: [Int], outStrides: [Int],
                                 _ out: UnsafeMutablePointer<Float>, outCount: Int) {
        reduceSumKernel(x, shape, outStrides, out, outCount)
    }
    public static func argmax(_ x: UnsafePointer<Float>, outer: Int, n: Int, inner: Int,
                              _ indices: UnsafeMutablePointer<Int32>) {
        argmaxKernel(x, outer, n, inner, indices)
    }
    public static func maxPoolIndices(_ x: UnsafePointer<Float>, planes: Int, height: Int, width: Int,
                                      window: Int, stride: Int, _ indices: UnsafeMutablePointer<Int32>) {
        maxPoolIndicesKernel(x, planes, height, width, window, stride, indices)
    }
    public static func gather(_ x: UnsafePointer<Float>, _ indices: UnsafePointer<Int32>, count: Int,
                              _ out: UnsafeMutablePointer<Float>) {
        for i in 0..<count { out[i] = x[Int(indices[i])] }
    }
    public static func scatterAdd(_ x: UnsafePointer<Float>, _ indices: UnsafePointer<Int32>, count: Int,
                                  _ out: UnsafeMutablePointer<Float>, outCount: Int) {
        out.initialize(repeating: 0, count: outCount)
        for i in 0..<count { out[Int(indices[i])] += x[i] }
    }
    public static func permute(_ x: UnsafePointer<Float>, shape: [Int], perm: [Int], _ out: UnsafeMutablePointer<Float>) {
        permuteKernel(x, shape, perm, out)
    }
    public static func im2col(_ x: UnsafePointer<Float>, _ geometry: ConvolutionGeometry, _ col: UnsafeMutablePointer<Float>) {
        im2colKernel(x, geometry, col)
    }
    public static func col2im(_ col: UnsafePointer<Float>, _ geometry: ConvolutionGeometry, _ x: UnsafeMutablePointer<Float>) {
        col2imKernel(col, geometry, x)
    }
    public static func fill(_ out: UnsafeMutablePointer<Float>, count: Int, value: Float) {
        out.initialize(repeating: value, count: count)
    }
    public static func toDouble(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count { out[i] = Double(x[i]) }
    }
    public static func fromDouble(_ x: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { out[i] = Float(x[i]) }
    }
}
