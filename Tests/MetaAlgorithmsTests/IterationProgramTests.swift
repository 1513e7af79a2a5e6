import Testing
import MetaTensor
import MetaNN
import MetaRandom
import MetaTasks
import MetaAlgorithms
import MetaTestKit

/// How a multi-round ``IterationProgram`` is written: conjugate gradient on A x = b with
/// A = Σ_i A_i, each matrix-vector product a round whose items are computed anywhere and
/// reduced by block sums in item order (the shape of TRPO's Fisher-vector products).
@Suite struct IterationProgramTests {
    /// Item i's symmetric positive-definite matrix A_i = diag(1 + i mod 3) + u_i u_iᵀ, u_i
    /// from the keyed stream of item i.
    static func matrix(item: Int, dimension d: Int) -> [[Double]] {
        var stream = RandomStream(seed: 3, task: UInt32(item), purpose: .testing)
        let u = (0..<d).map { _ in stream.normal() }
        return (0..<d).map { r in (0..<d).map { c in (r == c ? Double(1 + item % 3) : 0) + u[r] * u[c] } }
    }

    /// The worker's side: item i's answer to a product request, A_i · payload, in the layout of `like`.
    static func product(item: Int, payload: [Double], like: Parameters<Tensor<Double>>) -> Parameters<Tensor<Double>> {
        let a = matrix(item: item, dimension: payload.count)
        return unflatten(a.map { row in zip(row, payload).reduce(0) { $0 + $1.0 * $1.1 } }, like: like)
    }

    static func unflatten(_ flat: [Double], like: Parameters<Tensor<Double>>) -> Parameters<Tensor<Double>> {
        var offset = 0
        return like.map { t in
            defer { offset += t.count }
            return Tensor(shape: t.shape, scalars: Array(flat[offset..<(offset + t.count)]))
        }
    }

    /// Conjugate gradient as a program: each round asks for A·p (work 2, payload p), the
    /// reduced block sums are summed in block order, and the solution x is applied as the
    /// outer step (SGD with rate 1: θ ← θ − x).
    struct ConjugateGradientProgram: IterationProgram {
        let trainer: MetaTrainer<Double>
        let state: MetaTrainer<Double>.State
        let items: Int
        let maxRounds: Int
        var x: [Double], r: [Double], p: [Double], rr: Double
        var rounds = 0
        var request: WorkRequest

        init(trainer: MetaTrainer<Double>, state: MetaTrainer<Double>.State, b: [Double], items: Int, maxRounds: Int) {
            self.trainer = trainer; self.state = state; self.items = items; self.maxRounds = maxRounds
            x = [Double](repeating: 0, count: b.count); r = b; p = b
            rr = b.reduce(0) { $0 + $1 * $1 }
            request = WorkRequest(work: 2, payload: p, items: items)
        }

        mutating func next(_ result: ShardResult<Double>) -> IterationStep<Double> {
            let ap = MetaGradient.sum(result.blockSums).values.flatMap(\.scalars)
            let alpha = rr / zip(p, ap).reduce(0) { $0 + $1.0 * $1.1 }
            for i in x.indices { x[i] += alpha * p[i]; r[i] -= alpha * ap[i] }
            let rrNext = r.reduce(0) { $0 + $1 * $1 }
            rounds += 1
            if rounds == maxRounds || rrNext < 1e-24 {
                let step = IterationProgramTests.unflatten(x, like: state.parameters)
                let (next, metrics) = trainer.apply(gradient: step, losses: result.losses, metrics: result.metrics, to: state)
                return .update(next, metrics)
            }
            for i in p.indices { p[i] = r[i] + rrNext / rr * p[i] }
            rr = rrNext
            request = WorkRequest(work: 2, payload: p, items: items)
            return .request(request)
        }
    }

    /// Runs `program` with each round's items computed in shards of `shardBlocks` reduction
    /// blocks (as workers would) and their block sums concatenated in item order.
    static func run(_ program: ConjugateGradientProgram, shardBlocks: Int) -> (MetaTrainer<Double>.State, rounds: Int) {
        var program = program
        var rounds = 0
        while true {
            let request = program.request
            #expect(request.work == 2 && request.scalarsPerItem == nil)
            var sums: [Parameters<Tensor<Double>>] = []
            let width = shardBlocks * MetaGradient.blockSize
            for start in stride(from: 0, to: request.items, by: width) {
                let products = (start..<min(start + width, request.items)).map {
                    product(item: $0, payload: request.payload, like: program.state.parameters)
                }
                sums += MetaGradient.blockSums(products)
            }
            let losses = [Double](repeating: 0, count: request.items)
            rounds += 1
            if case .update(let next, _) = program.next(ShardResult(blockSums: sums, losses: losses, metrics: losses)) {
                return (next, rounds)
            }
        }
    }

    @Test func aConjugateGradientProgramSolvesTheSummedSystemOverSeveralRoundsWhateverTheSharding() throws {
        var c = RunConfiguration.presets["sine-maml"]!
        c.architecture = .sineMLP(hidden: [3])
        c.outerOptimizer = .sgd(learningRate: 1)
        let trainer = try MetaTrainer<Double>(configuration: c)
        let state = trainer.initialState()
        let d = state.parameters.values.reduce(0) { $0 + $1.count }
        let items = 10
        let b = (0..<d).map { Double($0 % 4) - 1.5 }
        let program = ConjugateGradientProgram(trainer: trainer, state: state, b: b, items: items, maxRounds: d)

        let (one, rounds) = Self.run(program, shardBlocks: 1)
        let (whole, _) = Self.run(program, shardBlocks: 3)
        #expect(rounds > 1, "a multi-round program")
        #expect(ParameterCoding.encode(one.parameters) == ParameterCoding.encode(whole.parameters), "sharding changed the bits")

        // Against a direct solve of (Σ A_i) x = b by Gaussian elimination.
        var a = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
        for i in 0..<items {
            let m = Self.matrix(item: i, dimension: d)
            for r in 0..<d { for k in 0..<d { a[r][k] += m[r][k] } }
        }
        var rhs = b
        for col in 0..<d {
            let pivot = (col..<d).max { abs(a[$0][col]) < abs(a[$1][col]) }!
            a.swapAt(col, pivot); rhs.swapAt(col, pivot)
            for row in (col + 1)..<d {
                let f = a[row][col] / a[col][col]
                for k in col..<d { a[row][k] -= f * a[col][k] }
                rhs[row] -= f * rhs[col]
            }
        }
        var solution = [Double](repeating: 0, count: d)
        for row in stride(from: d - 1, through: 0, by: -1) {
            solution[row] = (rhs[row] - ((row + 1)..<d).reduce(0) { $0 + a[row][$1] * solution[$1] }) / a[row][row]
        }
        let moved = zip(state.parameters.values.flatMap(\.scalars), one.parameters.values.flatMap(\.scalars)).map { $0 - $1 }
        let error = GradientCheck.relativeError(moved, solution)
        #expect(error < 1e-8, "relative error \(error)")
    }
}
