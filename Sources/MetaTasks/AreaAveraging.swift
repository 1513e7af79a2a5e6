import MetaTensor

/// Area averaging of images `[n, c, h, w]` to `[n, c, side, side]`, for any sizes: the
/// floating-point counterpart of ``AreaResizer`` (which is exact, integer and fixed to
/// Omniglot's 105 → 28).
///
/// Along an axis of `h` source pixels and `m` output pixels, in units of 1/m source pixel,
/// output pixel `o` covers [h·o, h·(o+1)) and source pixel `i` covers [m·i, m·(i+1)); their
/// overlap divided by `h` is the weight, so every output pixel's weights sum to 1 per axis
/// and the mean intensity is preserved. Santoro et al. (2016) downscale Omniglot to 20 × 20.
public enum AreaAveraging {
    public static func resized<S: TensorScalar>(_ x: Tensor<S>, side: Int) -> Tensor<S> {
        require(x.rank == 4 && side >= 1, "area averaging: expected [n, c, h, w] and side ≥ 1, got \(x.shape), \(side)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let rows = weights(from: h, to: side), columns = weights(from: w, to: side)
        let source = x.scalars
        return Tensor(shape: [n, c, side, side]) { out, _ in
            for image in 0..<(n * c) {
                let base = image * h * w
                for oy in 0..<side {
                    for ox in 0..<side {
                        var sum = 0.0
                        for (y, wy) in rows[oy] {
                            for (x, wx) in columns[ox] { sum += wy * wx * Double(source[base + y * w + x]) }
                        }
                        out[(image * side + oy) * side + ox] = S(sum)
                    }
                }
            }
        }
    }

    /// For each output index: the (source index, weight) pairs that overlap it.
    static func weights(from n: Int, to m: Int) -> [[(Int, Double)]] {
        (0..<m).map { o in
            let lo = n * o, hi = n * (o + 1)
            return (lo / m...min(n - 1, (hi - 1) / m)).compactMap { i in
                let overlap = min(hi, m * (i + 1)) - max(lo, m * i)
                return overlap > 0 ? (i, Double(overlap) / Double(n)) : nil
            }
        }
    }
}
