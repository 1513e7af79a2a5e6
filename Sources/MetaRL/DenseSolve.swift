/// Linear systems `A x = b` with a small dense `A` (row-major, n × n), by Gaussian elimination
/// with partial pivoting. For the linear feature baseline's normal equations and as the
/// reference that conjugate gradient is checked against.
public enum DenseSolve {
    /// The solution, or nil when `A` is singular to working precision (a zero pivot) or the
    /// result is not finite.
    public static func solve(_ a: [Double], _ b: [Double]) -> [Double]? {
        let n = b.count
        precondition(a.count == n * n, "DenseSolve: matrix has \(a.count) entries for \(n) unknowns")
        var m = a, x = b
        for col in 0..<n {
            var pivot = col
            for r in (col + 1)..<max(n, col + 1) where abs(m[r * n + col]) > abs(m[pivot * n + col]) { pivot = r }
            if m[pivot * n + col] == 0 { return nil }
            if pivot != col {
                for j in 0..<n { m.swapAt(col * n + j, pivot * n + j) }
                x.swapAt(col, pivot)
            }
            let d = m[col * n + col]
            for r in (col + 1)..<max(n, col + 1) {
                let f = m[r * n + col] / d
                if f == 0 { continue }
                for j in col..<n { m[r * n + j] -= f * m[col * n + j] }
                x[r] -= f * x[col]
            }
        }
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = x[r]
            for j in (r + 1)..<max(n, r + 1) { s -= m[r * n + j] * x[j] }
            x[r] = s / m[r * n + r]
        }
        return x.allSatisfy(\.isFinite) ? x : nil
    }
}
