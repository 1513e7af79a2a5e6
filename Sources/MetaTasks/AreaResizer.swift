import MetaTensor

/// Exact area averaging from 105×105 gray (255 = white) to 28×28 ink (255 = full ink).
///
/// In units of 1/28 source pixel, output pixel `o` covers [105·o, 105·(o+1)) and source pixel
/// `i` covers [28·i, 28·(i+1)); their overlap (0…28) is the integer weight, and every output
/// pixel's weights sum to 105 per axis. The result is the weighted ink sum divided by
/// 105² and rounded, all in integers, so it is exact and identical on every machine.
struct AreaResizer {
    private static let n = OmniglotDataset.sourceSide, m = OmniglotDataset.side, taps = 5
    /// For each output index: the first source index it overlaps.
    private static let first: [Int] = (0..<m).map { 105 * $0 / 28 }
    /// For each output index: `taps` weights from `first` on (zero past the last overlap).
    private static let weights: [Int32] = (0..<m).flatMap { o -> [Int32] in
        let lo = 105 * o, hi = 105 * (o + 1)
        return (0..<taps).map { k in
            let i = lo / 28 + k
            return Int32(max(0, min(hi, 28 * (i + 1)) - max(lo, 28 * i)))
        }
    }
    /// The vertical pass: `m` rows of `n + taps` column sums (zero-padded so every tap is in range).
    private var columns = [Int32](repeating: 0, count: m * (n + taps))

    mutating func resize(_ gray: [UInt8], into output: UnsafeMutablePointer<UInt8>) {
        let n = Self.n, m = Self.m, taps = Self.taps, stride = n + taps
        require(gray.count == n * n, "resize: expected \(n)×\(n) pixels, got \(gray.count)")
        Self.first.withUnsafeBufferPointer { first in
        Self.weights.withUnsafeBufferPointer { weights in
        gray.withUnsafeBufferPointer { src in
        columns.withUnsafeMutableBufferPointer { columns in
            // Vertical pass (contiguous, vectorised): columns[oy][x] = Σ_k w(oy, k)·ink(x, first(oy) + k),
            // with ink = 255 − gray; at most 105·255.
            for oy in 0..<m {
                let column = columns.baseAddress! + oy * stride
                for x in 0..<n { column[x] = 0 }
                for k in 0..<taps {
                    let w = weights[oy * taps + k]
                    if w == 0 { continue }
                    let row = src.baseAddress! + (first[oy] + k) * n
                    for x in 0..<n { column[x] &+= w &* (255 &- Int32(row[x])) }
                }
            }
            // Horizontal pass and rounding: Σ_k w(ox, k)·columns[oy][first(ox) + k] / 105², at most 255.
            for oy in 0..<m {
                let column = columns.baseAddress! + oy * stride
                for ox in 0..<m {
                    var sum: Int32 = 105 * 105 / 2
                    for k in 0..<taps { sum &+= weights[ox * taps + k] &* column[first[ox] + k] }
                    output[oy * m + ox] = UInt8(truncatingIfNeeded: sum / (105 * 105))
                }
            }
        }}}}
    }
}
