import Foundation

/// One TRPO outer step (Schulman et al. 2015, as in MAML's reinforcement-learning experiments,
/// Finn et al. 2017 §5.3) as a pure state machine: it holds θ and asks the meta-batch for
/// reductions (``TRPORequest``) until it has the next parameters.
///
/// 1. ``TRPORequest/surrogate``: the mean loss L(θ) and gradient g.
/// 2. Conjugate gradient (``ConjugateGradient``) for `(F + damping I) s = g`, one
///    ``TRPORequest/fisherProduct(_:)`` per iteration, then one more for `sᵀ F s`.
/// 3. Backtracking line search along `−β s`, β = √(2δ / (sᵀ(F + damping I)s + 1e-8)): one
///    ``TRPORequest/candidate(_:)`` per try of θ − ratioᵏ β s, accepting the first with a lower
///    loss and mean KL ≤ δ. When none is accepted θ stays (rllab's behaviour without
///    `accept_violation`).
///
/// The step never does I/O: ``request`` says what to compute, ``receive(_:)`` takes the sum over
/// the tasks, ``outcome`` is set once done. The same answers give the same bits.
public struct TRPOStep: Sendable, Equatable {
    public struct Outcome: Sendable, Equatable {
        public var parameters: [Double]
        /// Whether a candidate was accepted (θ changed).
        public var accepted: Bool
        /// The mean surrogate loss at θ and at the result.
        public var lossBefore: Double, lossAfter: Double
        /// The mean KL divergence of the accepted candidate (0 when none was).
        public var kl: Double
        /// Candidates tried.
        public var candidates: Int
        /// The mean task metric at θ (mean return after adaptation).
        public var metric: Double
        /// Fisher products computed (conjugate gradient and the step size).
        public var fisherProducts: Int
    }

    enum Phase: Sendable, Equatable {
        case surrogate
        case conjugateGradient(ConjugateGradient)
        case curvature(direction: [Double])
        case lineSearch(direction: [Double], scale: Double, tried: Int)
        case done(Outcome)
    }

    public let parameters: [Double]
    public let taskCount: Int
    public let settings: TRPOSettings
    var phase: Phase = .surrogate
    var lossBefore = 0.0, metric = 0.0, products = 0

    public init(parameters: [Double], taskCount: Int, settings: TRPOSettings) {
        precondition(taskCount > 0, "TRPOStep: a meta-batch needs at least one task")
        self.parameters = parameters; self.taskCount = taskCount; self.settings = settings
    }

    /// What to compute next (summed over the tasks), or nil once ``outcome`` is set.
    public var request: TRPORequest? {
        switch phase {
        case .surrogate: return .surrogate
        case let .conjugateGradient(cg): return .fisherProduct(cg.product!)
        case let .curvature(direction): return .fisherProduct(direction)
        case let .lineSearch(direction, scale, tried): return .candidate(candidate(direction, scale, tried))
        case .done: return nil
        }
    }

    /// The result, once the step is finished.
    public var outcome: Outcome? { if case let .done(o) = phase { o } else { nil } }

    /// Takes the sum over the tasks of the answer to ``request``.
    public mutating func receive(_ reply: TRPOReply) {
        let n = Double(taskCount)
        switch (phase, reply) {
        case let (.surrogate, .surrogate(loss, gradient, metricSum)):
            lossBefore = loss / n; metric = metricSum / n
            let g = gradient.map { $0 / n }
            let cg = ConjugateGradient(b: g, iterations: settings.cgIterations)
            phase = cg.product == nil ? finish(nil) : .conjugateGradient(cg)
        case let (.conjugateGradient(solver), .fisherProduct(sum)):
            var cg = solver
            cg.receive(damped(sum, cg.product!))
            products += 1
            phase = cg.product == nil ? .curvature(direction: cg.x) : .conjugateGradient(cg)
        case let (.curvature(direction), .fisherProduct(sum)):
            products += 1
            let shs = ConjugateGradient.dot(direction, damped(sum, direction))
            let scale = (2 * settings.maxKL / (shs + 1e-8)).squareRoot()
            phase = scale.isFinite && settings.maxBacktracks > 0
                ? .lineSearch(direction: direction, scale: scale, tried: 0) : finish(nil)
        case let (.lineSearch(direction, scale, tried), .candidate(lossSum, klSum)):
            let loss = lossSum / n, kl = klSum / n
            if loss < lossBefore && kl <= settings.maxKL && loss.isFinite && kl.isFinite {
                phase = finish((candidate(direction, scale, tried), loss, kl, tried + 1))
            } else if tried + 1 >= settings.maxBacktracks {
                phase = finish((parameters, lossBefore, 0, tried + 1), accepted: false)
            } else {
                phase = .lineSearch(direction: direction, scale: scale, tried: tried + 1)
            }
        default:
            preconditionFailure("TRPOStep: received \(reply) while expecting an answer to \(String(describing: request))")
        }
    }

    /// `(F + damping I) v` from the mean over the tasks of `F v`.
    private func damped(_ sum: [Double], _ v: [Double]) -> [Double] {
        let n = Double(taskCount)
        return zip(sum, v).map { $0 / n + settings.damping * $1 }
    }

    private func candidate(_ direction: [Double], _ scale: Double, _ tried: Int) -> [Double] {
        let s = scale * Foundation.pow(settings.backtrackRatio, Double(tried))
        return zip(parameters, direction).map { $0 - s * $1 }
    }

    private func finish(_ result: (parameters: [Double], loss: Double, kl: Double, candidates: Int)?, accepted: Bool = true) -> Phase {
        let r: (parameters: [Double], loss: Double, kl: Double, candidates: Int) = result ?? (parameters: parameters, loss: lossBefore, kl: 0, candidates: 0)
        return .done(Outcome(parameters: r.parameters, accepted: result != nil && accepted, lossBefore: lossBefore,
                             lossAfter: r.loss, kl: r.kl, candidates: r.candidates, metric: metric, fisherProducts: products))
    }
}
