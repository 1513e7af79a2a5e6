import RealModule

// The per-element loops behind `TensorScalar`'s kernel table. They are generic and internal;
// `Float+TensorScalar.swift` and `Double+TensorScalar.swift` call them with concrete types,
// so whole-module optimisation emits one specialised copy per scalar type.

@inline(__always)
func unaryKernel<T: TensorScalar>(_ op: UnaryKernel, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>,
                                  _ n: Int, _ p: T) {
    switch op {
    case .negate: for i in 0..<n { y[i] = -x[i] }
    case .exp: for i in 0..<n { y[i] = T.exp(x[i]) }
    case .log: for i in 0..<n { y[i] = T.log(x[i]) }
    case .tanh: for i in 0..<n { y[i] = T.tanh(x[i]) }
    case .sigmoid:
        // Stable on both tails: exp never overflows.
        for i in 0..<n {
            let v = x[i]
            if v >= 0 { y[i] = 1 / (1 + T.exp(-v)) } else { let e = T.exp(v); y[i] = e / (1 + e) }
        }
    case .relu: for i in 0..<n { let v = x[i]; y[i] = v > 0 ? v : 0 }
    case .sqrt: for i in 0..<n { y[i] = x[i].squareRoot() }
    case .abs: for i in 0..<n { y[i] = Swift.abs(x[i]) }
    case .square: for i in 0..<n { let v = x[i]; y[i] = v * v }
    case .reciprocal: for i in 0..<n { y[i] = 1 / x[i] }
    case .positiveMask: for i in 0..<n { y[i] = x[i] > 0 ? 1 : 0 }
    case .scale: for i in 0..<n { y[i] = x[i] * p }
    case .shift: for i in 0..<n { y[i] = x[i] + p }
    case .power:
        if p == 2 { for i in 0..<n { let v = x[i]; y[i] = v * v } }
        else if p == 1 { for i in 0..<n { y[i] = x[i] } }
        else if p == 0.5 { for i in 0..<n { y[i] = x[i].squareRoot() } }
        else if p == -1 { for i in 0..<n { y[i] = 1 / x[i] } }
        else if p == -0.5 { for i in 0..<n { y[i] = 1 / x[i].squareRoot() } }
        else if let k = Int(exactly: p) {
            // Integral exponents: defined for negative bases too (RealModule's real-exponent
            // pow returns NaN for every x < 0, and for 0^0).
            for i in 0..<n { y[i] = T.pow(x[i], k) }
        }
        else { for i in 0..<n { y[i] = T.pow(x[i], p) } }
    }
}

/// A shape and per-operand strides after ``coalesce(_:_:)``. A struct rather than a tuple:
/// the hot kernels would otherwise look up tuple metadata on every call.
struct Coalesced {
    var dims: [Int]
    var strides: [[Int]]
}

/// Merges adjacent dimensions that are contiguous in every operand (or broadcast in all).
/// Returns the reduced shape and the matching stride lists; rank ≥ 1.
func coalesce(_ shape: [Int], _ strides: [[Int]]) -> Coalesced {
    var outShape: [Int] = []
    var outStrides: [[Int]] = Array(repeating: [], count: strides.count)
    for d in 0..<shape.count {
        if shape[d] == 1 { continue }  // size-1 dimensions never move the offset
        if let last = outShape.last {
            var mergeable = true
            for s in 0..<strides.count where outStrides[s].last! != strides[s][d] * shape[d] {
                mergeable = false; break
            }
            if mergeable {
                outShape[outShape.count - 1] = last * shape[d]
                for s in 0..<strides.count { outStrides[s][outStrides[s].count - 1] = strides[s][d] }
                continue
            }
        }
        outShape.append(shape[d])
        for s in 0..<strides.count { outStrides[s].append(strides[s][d]) }
    }
    if outShape.isEmpty { return Coalesced(dims: [1], strides: strides.map { _ in [0] }) }
    return Coalesced(dims: outShape, strides: outStrides)
}

/// One row: `out[i] = f(a[i·sa], b[i·sb])` for `i < n`, with the contiguous and broadcast
/// cases as separate loops the compiler can vectorise.
@inline(__always)
func binaryRow<T: TensorScalar>(_ a: UnsafePointer<T>, _ sa: Int, _ b: UnsafePointer<T>, _ sb: Int,
                                _ out: UnsafeMutablePointer<T>, _ n: Int, _ f: (T, T) -> T) {
    if sa == 1 && sb == 1 {
        for i in 0..<n { out[i] = f(a[i], b[i]) }
    } else if sa == 1 && sb == 0 {
        let v = b[0]; for i in 0..<n { out[i] = f(a[i], v) }
    } else if sa == 0 && sb == 1 {
        let v = a[0]; for i in 0..<n { out[i] = f(v, b[i]) }
    } else {
        for i in 0..<n { out[i] = f(a[i &* sa], b[i &* sb]) }
    }
}

@inline(__always)
func binaryRows<T: TensorScalar>(_ a: UnsafePointer<T>, _ aStrides: [Int], _ b: UnsafePointer<T>, _ bStrides: [Int],
                                 _ out: UnsafeMutablePointer<T>, _ shape: [Int], _ f: (T, T) -> T) {
    if shape.count == 1 {
        // One dimension (what the equal-shape and scalar fast paths of `Tensor.zip` pass):
        // no coalescing, no odometer.
        binaryRow(a, aStrides[0], b, bStrides[0], out, shape[0], f)
        return
    }
    let c = coalesce(shape, [aStrides, bStrides])
    let dims = c.dims, st = c.strides
    let rank = dims.count
    let n = dims[rank - 1], sa = st[0][rank - 1], sb = st[1][rank - 1]
    let rows = dims.dropLast().reduce(1, *)
    var index = [Int](repeating: 0, count: max(rank - 1, 1))
    var aOff = 0, bOff = 0, oOff = 0
    for _ in 0..<rows {
        binaryRow(a + aOff, sa, b + bOff, sb, out + oOff, n, f)
        oOff += n
        // Odometer over the outer dimensions.
        var d = rank - 2
        while d >= 0 {
            index[d] += 1; aOff += st[0][d]; bOff += st[1][d]
            if index[d] < dims[d] { break }
            aOff -= st[0][d] * dims[d]; bOff -= st[1][d] * dims[d]; index[d] = 0
            d -= 1
        }
    }
}

@inline(__always)
func binaryKernel<T: TensorScalar>(_ op: BinaryKernel, _ a: UnsafePointer<T>, _ aStrides: [Int],
                                   _ b: UnsafePointer<T>, _ bStrides: [Int],
                                   _ out: UnsafeMutablePointer<T>, _ shape: [Int]) {
    switch op {
    case .add: binaryRows(a, aStrides, b, bStrides, out, shape) { $0 + $1 }
    case .subtract: binaryRows(a, aStrides, b, bStrides, out, shape) { $0 - $1 }
    case .multiply: binaryRows(a, aStrides, b, bStrides, out, shape) { $0 * $1 }
    case .divide: binaryRows(a, aStrides, b, bStrides, out, shape) { $0 / $1 }
    case .maximum: binaryRows(a, aStrides, b, bStrides, out, shape) { $0 >= $1 ? $0 : $1 }
    case .minimum: binaryRows(a, aStrides, b, bStrides, out, shape) { $0 <= $1 ? $0 : $1 }
    case .greater: binaryRows(a, aStrides, b, bStrides, out, shape) { $0 > $1 ? 1 : 0 }
    case .equal: binaryRows(a, aStrides, b, bStrides, out, shape) { $0 == $1 ? 1 : 0 }
    }
}

@inline(__always)
func reduceSumKernel<T: TensorScalar>(_ x: UnsafePointer<T>, _ shape: [Int], _ outStrides: [Int],
                                      _ out: UnsafeMutablePointer<T>, _ outCount: Int) {
    let inStrides = denseStrides(shape)
    let c = coalesce(shape, [inStrides, outStrides])
    let dims = c.dims, st = c.strides
    let rank = dims.count
    let n = dims[rank - 1], so = st[1][rank - 1]
    let rows = dims.dropLast().reduce(1, *)
    // Accumulate in Double: Float sums over thousands of terms would otherwise lose digits
    // that second-order meta-gradients need.
    let acc = UnsafeMutablePointer<Double>.allocate(capacity: outCount)
    defer { acc.deallocate() }
    acc.initialize(repeating: 0, count: outCount)
    var index = [Int](repeating: 0, count: max(rank - 1, 1))
    var xOff = 0, oOff = 0
    for _ in 0..<rows {
        let px = x + xOff
        if so == 0 {
            acc[oOff] += rowSum(px, n)
        } else {
            let pa = acc + oOff
            for i in 0..<n { pa[i &* so] += Double(px[i]) }
        }
        xOff += n
        var d = rank - 2
        while d >= 0 {
            index[d] += 1; oOff += st[1][d]
            if index[d] < dims[d] { break }
            oOff -= st[1][d] * dims[d]; index[d] = 0
            d -= 1
        }
    }
    for i in 0..<outCount { out[i] = T(acc[i]) }
}

/// The sum of `n` elements in `Double`, with eight interleaved partial sums (a fixed order,
/// so the result is deterministic) that break the serial dependency of one running sum.
@inline(__always)
func rowSum<T: TensorScalar>(_ x: UnsafePointer<T>, _ n: Int) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0, s6 = 0.0, s7 = 0.0
    var i = 0
    while i + 8 <= n {
        s0 += Double(x[i]); s1 += Double(x[i + 1]); s2 += Double(x[i + 2]); s3 += Double(x[i + 3])
        s4 += Double(x[i + 4]); s5 += Double(x[i + 5]); s6 += Double(x[i + 6]); s7 += Double(x[i + 7])
        i += 8
    }
    while i < n { s0 += Double(x[i]); i += 1 }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

@inline(__always)
func argmaxKernel<T: TensorScalar>(_ x: UnsafePointer<T>, _ outer: Int, _ n: Int, _ inner: Int,
                                   _ indices: UnsafeMutablePointer<Int32>) {
    for o in 0..<outer {
        for j in 0..<inner {
            let base = o * n * inner + j
            var best = base, bestValue = x[base]
            for k in 1..<max(n, 1) {
                let at = base + k * inner
                // `!(v <= best)` also moves off a NaN start, so NaNs never hide a larger value.
                if x[at] > bestValue || (bestValue.isNaN && !x[at].isNaN) { best = at; bestValue = x[at] }
            }
            indices[o * inner + j] = Int32(truncatingIfNeeded: best)
        }
    }
}

@inline(__always)
func maxPoolIndicesKernel<T: TensorScalar>(_ x: UnsafePointer<T>, _ planes: Int, _ h: Int, _ w: Int,
                                           _ window: Int, _ stride: Int, _ indices: UnsafeMutablePointer<Int32>) {
    let oh = (h - window) / stride + 1, ow = (w - window) / stride + 1
    var k = 0
    for p in 0..<planes {
        let base = p * h * w
        for i in 0..<oh {
            for j in 0..<ow {
                var best = base + (i * stride) * w + j * stride
                var bestValue = x[best]
                for di in 0..<window {
                    for dj in 0..<window {
                        let at = base + (i * stride + di) * w + j * stride + dj
                        if x[at] > bestValue { best = at; bestValue = x[at] }
                    }
                }
                indices[k] = Int32(truncatingIfNeeded: best); k += 1
            }
        }
    }
}

@inline(__always)
func permuteKernel<T: TensorScalar>(_ x: UnsafePointer<T>, _ shape: [Int], _ perm: [Int], _ out: UnsafeMutablePointer<T>) {
    let inStrides = denseStrides(shape)
    let outShape = perm.map { shape[$0] }
    let srcStrides = perm.map { inStrides[$0] }  // input stride of each output axis
    let c = coalesce(outShape, [denseStrides(outShape), srcStrides])
    let dims = c.dims, st = c.strides
    let rank = dims.count
    let n = dims[rank - 1], sx = st[1][rank - 1]
    let rows = dims.dropLast().reduce(1, *)
    var index = [Int](repeating: 0, count: max(rank - 1, 1))
    var xOff = 0, oOff = 0
    for _ in 0..<rows {
        let px = x + xOff, po = out + oOff
        if sx == 1 { po.update(from: px, count: n) } else { for i in 0..<n { po[i] = px[i &* sx] } }
        oOff += n
        var d = rank - 2
        while d >= 0 {
            index[d] += 1; xOff += st[1][d]
            if index[d] < dims[d] { break }
            xOff -= st[1][d] * dims[d]; index[d] = 0
            d -= 1
        }
    }
}

/// For one kernel tap (ki, kj), the input offset within an image plane of every output
/// position (i, j), or -1 where the tap falls in the zero padding. The same table serves
/// every channel and image, so the copy loops run over whole output planes (`oh·ow` long)
/// instead of short rows.
@inline(__always)
func tapOffsets(_ g: ConvolutionGeometry, ki: Int, kj: Int, into table: UnsafeMutablePointer<Int32>) {
    let oh = g.outHeight, ow = g.outWidth, s = g.stride, pad = g.padding
    var k = 0
    for i in 0..<oh {
        let ih = i * s - pad + ki
        for j in 0..<ow {
            let iw = j * s - pad + kj
            table[k] = (ih >= 0 && ih < g.height && iw >= 0 && iw < g.width) ? Int32(ih * g.width + iw) : -1
            k += 1
        }
    }
}

@inline(__always)
func im2colKernel<T: TensorScalar>(_ x: UnsafePointer<T>, _ g: ConvolutionGeometry, _ col: UnsafeMutablePointer<T>) {
    let planeOut = g.outHeight * g.outWidth, planeIn = g.height * g.width, cols = g.columnCount
    let table = UnsafeMutablePointer<Int32>.allocate(capacity: max(planeOut, 1))
    defer { table.deallocate() }
    for ki in 0..<g.kernelHeight {
        for kj in 0..<g.kernelWidth {
            tapOffsets(g, ki: ki, kj: kj, into: table)
            for c in 0..<g.channels {
                let row = col + ((c * g.kernelHeight + ki) * g.kernelWidth + kj) * cols
                for n in 0..<g.batch {
                    let plane = x + (n * g.channels + c) * planeIn
                    let dst = row + n * planeOut
                    for k in 0..<planeOut {
                        let o = Int(table[k])
                        dst[k] = o >= 0 ? plane[o] : 0
                    }
                }
            }
        }
    }
}

@inline(__always)
func col2imKernel<T: TensorScalar>(_ col: UnsafePointer<T>, _ g: ConvolutionGeometry, _ x: UnsafeMutablePointer<T>) {
    let planeOut = g.outHeight * g.outWidth, planeIn = g.height * g.width, cols = g.columnCount
    x.initialize(repeating: 0, count: g.batch * g.channels * planeIn)
    let table = UnsafeMutablePointer<Int32>.allocate(capacity: max(planeOut, 1))
    defer { table.deallocate() }
    for ki in 0..<g.kernelHeight {
        for kj in 0..<g.kernelWidth {
            tapOffsets(g, ki: ki, kj: kj, into: table)
            for c in 0..<g.channels {
                let row = col + ((c * g.kernelHeight + ki) * g.kernelWidth + kj) * cols
                for n in 0..<g.batch {
                    let plane = x + (n * g.channels + c) * planeIn
                    let src = row + n * planeOut
                    // Distinct output positions of one tap read distinct inputs: no write conflicts.
                    for k in 0..<planeOut {
                        let o = Int(table[k])
                        if o >= 0 { plane[o] += src[k] }
                    }
                }
            }
        }
    }
}

/// Row-major strides of a dense tensor of `shape`.
public func denseStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for d in stride(from: shape.count - 1, through: 0, by: -1) { strides[d] = s; s *= shape[d] }
    return strides
}
