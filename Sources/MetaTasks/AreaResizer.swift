import MetaTensor

/// Exact area averaging of a gray image (255 = white) of any size to `side × side` ink
/// (255 = full ink): how every drawing becomes a model input, Omniglot's 105×105 archives and
/// a user's own images alike (``OmniglotDataset/inkImage(_:)``).
///
/// Along an axis of `n` source pixels, in units of 1/`side` source pixel, output pixel `o`
/// covers [n·o, n·(o+1)) and source pixel `i` covers [side·i, side·(i+1)); their overlap is
/// the integer weight, and every output pixel's weights sum to `n` per axis. The result is the
/// weighted ink sum divided by `width · height` and rounded half up, all in integers, so it is
/// exact and identical on every machine. A non-square image is stretched to the square.
/// (``AreaAveraging`` is the floating-point counterpart for tensors.)
///
/// The weights are symmetric under reversing an axis, so resizing commutes exactly with
/// flips and, for square images, with quarter turns.
public struct AreaResizer: Sendable {
    public let width: Int, height: Int, side: Int
    private let rows: Axis, columns: Axis
    /// The vertical pass: `side` rows of `width + columns.taps` column sums (zero-padded so every tap is in range).
    private var sums: [Int64]

    /// One axis: for each output index, the first source index it overlaps and `taps` weights from there.
    private struct Axis: Sendable {
        let taps: Int, first: [Int], weights: [Int64]
        init(from n: Int, to m: Int) {
            let taps = (n + m - 1) / m + 1
            self.taps = taps
            first = (0..<m).map { n * $0 / m }
            weights = (0..<m).flatMap { o -> [Int64] in
                let lo = n * o, hi = n * (o + 1)
                return (0..<taps).map { k in
                    let i = lo / m + k
                    return i < n ? Int64(max(0, min(hi, m * (i + 1)) - max(lo, m * i))) : 0
                }
            }
        }
    }

    /// A resizer from `width × height` to `side × side`.
    public init(width: Int, height: Int, side: Int) {
        require(width >= 1 && height >= 1 && side >= 1, "resize: sizes must be positive, got \(width)×\(height) → \(side)")
        self.width = width; self.height = height; self.side = side
        rows = Axis(from: height, to: side); columns = Axis(from: width, to: side)
        sums = [Int64](repeating: 0, count: side * (width + columns.taps))
    }

    /// Writes the `side × side` ink image of `gray` (`width × height` bytes, row-major) to `output`.
    public mutating func resize(_ gray: [UInt8], into output: UnsafeMutablePointer<UInt8>) {
        require(gray.count == width * height, "resize: expected \(width)×\(height) pixels, got \(gray.count)")
        let n = width, m = side, stride = width + columns.taps
        let rows = rows, columns = columns
        let divisor = Int64(width) * Int64(height)
        rows.first.withUnsafeBufferPointer { rowFirst in
        rows.weights.withUnsafeBufferPointer { rowWeights in
        columns.first.withUnsafeBufferPointer { columnFirst in
        columns.weights.withUnsafeBufferPointer { columnWeights in
        gray.withUnsafeBufferPointer { src in
        sums.withUnsafeMutableBufferPointer { sums in
            // Vertical pass (contiguous, vectorised): sums[oy][x] = Σ_k w(oy, k)·ink(x, first(oy) + k),
            // with ink = 255 − gray; at most height·255.
            for oy in 0..<m {
                let column = sums.baseAddress! + oy * stride
                for x in 0..<stride { column[x] = 0 }
                for k in 0..<rows.taps {
                    let w = rowWeights[oy * rows.taps + k]
                    if w == 0 { continue }
                    let row = src.baseAddress! + (rowFirst[oy] + k) * n
                    for x in 0..<n { column[x] &+= w &* (255 &- Int64(row[x])) }
                }
            }
            // Horizontal pass and rounding: Σ_k w(ox, k)·sums[oy][first(ox) + k] / (width·height), at most 255.
            for oy in 0..<m {
                let column = sums.baseAddress! + oy * stride
                for ox in 0..<m {
                    var sum = divisor / 2
                    for k in 0..<columns.taps { sum &+= columnWeights[ox * columns.taps + k] &* column[columnFirst[ox] + k] }
                    output[oy * m + ox] = UInt8(truncatingIfNeeded: sum / divisor)
                }
            }
        }}}}}}
    }
}
