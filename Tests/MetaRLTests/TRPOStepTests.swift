import Testing
import MetaRL

/// Answers a TRPO step's requests for a quadratic problem: loss L(θ) = ½θᵀAθ − bᵀθ and
/// KL(θ′) = ½(θ′ − θ)ᵀF(θ′ − θ) around the step's θ.
private func runQuadratic(_ theta: [Double], a: [[Double]], b: [Double], f: [[Double]], tasks: Int,
                          lossOverride: Double? = nil) -> TRPOStep.Outcome {
    func mul(_ m: [[Double]], _ v: [Double]) -> [Double] { m.map { row in zip(row, v).reduce(0) { $0 + $1.0 * $1.1 } } }
    func dot(_ x: [Double], _ y: [Double]) -> Double { zip(x, y).reduce(0) { $0 + $1.0 * $1.1 } }
    func loss(_ x: [Double]) -> Double { 0.5 * dot(x, mul(a, x)) - dot(b, x) }
    let n = Double(tasks)
    var step = TRPOStep(parameters: theta, taskCount: tasks, settings: .paper)
    while let request = step.request {
        switch request {
        case .surrogate:
            step.receive(.surrogate(loss: n * loss(theta), gradient: zip(mul(a, theta), b).map { n * ($0 - $1) }, metric: 0))
        case let .fisherProduct(v):
            step.receive(.fisherProduct(mul(f, v).map { n * $0 }))
        case let .candidate(x):
            let d = zip(x, theta).map { $0 - $1 }
            step.receive(.candidate(loss: n * (lossOverride ?? loss(x)), kl: n * 0.5 * dot(d, mul(f, d))))
        }
    }
    return step.outcome!
}

@Test func trpoStepTakesTheNaturalGradientStepToTheKLBound() {
    let a = [[2.0, 0.3], [0.3, 1.0]], f = [[1.0, 0.2], [0.2, 0.5]]
    let theta = [1.0, -1.0], b = [0.5, 0.2]
    let outcome = runQuadratic(theta, a: a, b: b, f: f, tasks: 4)
    #expect(outcome.accepted)
    #expect(outcome.candidates == 1)
    // The first candidate lies on the KL bound (up to the damping), and lowers the loss.
    #expect(abs(outcome.kl - 0.01) < 1e-4)
    #expect(outcome.lossAfter < outcome.lossBefore)
    // Along the natural gradient F⁻¹g: the step is parallel to it.
    let g = [2.0 * 1 + 0.3 * -1 - 0.5, 0.3 * 1 + 1.0 * -1 - 0.2]
    // (F + damping I)⁻¹ g, the direction conjugate gradient solves for.
    let d = TRPOSettings.paper.damping
    let fd = [[f[0][0] + d, f[0][1]], [f[1][0], f[1][1] + d]]
    let det = fd[0][0] * fd[1][1] - fd[0][1] * fd[1][0]
    let natural = [(fd[1][1] * g[0] - fd[0][1] * g[1]) / det, (fd[0][0] * g[1] - fd[1][0] * g[0]) / det]
    let step = zip(theta, outcome.parameters).map { $0 - $1 }
    let cross = step[0] * natural[1] - step[1] * natural[0]
    #expect(abs(cross) < 1e-6 * (abs(step[0]) + abs(step[1])))
    #expect(outcome.fisherProducts == 3)  // two conjugate-gradient products (exact in 2-D) and sᵀFs
}

@Test func trpoStepKeepsTheParametersWhenNoCandidateLowersTheLoss() {
    let outcome = runQuadratic([1.0, -1.0], a: [[2.0, 0.3], [0.3, 1.0]], b: [0.5, 0.2], f: [[1.0, 0.2], [0.2, 0.5]],
                               tasks: 2, lossOverride: 100)
    #expect(!outcome.accepted)
    #expect(outcome.parameters == [1.0, -1.0])
    #expect(outcome.candidates == TRPOSettings.paper.maxBacktracks)
}
