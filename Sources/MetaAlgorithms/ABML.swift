import Foundation
import MetaTensor
import MetaAutodiff
import MetaNN
import MetaRandom
import MetaTasks

/// Amortised Bayesian meta-learning (ABML; Ravi & Beatson, ICLR 2019) as pure step functions.
///
/// The meta-parameters ψ = (μ, log σ) are a Gaussian prior N(μ, diag σ²) over the network's
/// weights θ: the model's parameters hold μ under their own names, and log σ sits next to each
/// under `logsigma.<parameter>` (as Meta-SGD's rates sit under `lr.`). For one task:
///
/// 1. The variational posterior q = N(m, diag s²), φ = (m, log s), starts at the prior (φ₀ = ψ)
///    and takes `inner.steps` SGD steps of rate α = `inner.learningRate` on the support set's
///    negative ELBO per point, F(φ; ψ) = E_q[−log p(y | x, θ)] averaged over the N support
///    points + (β / N) · KL(q ‖ p_ψ), β = `inner.klWeight` (β = 1 is the ELBO divided by N).
///    The expectation is a Monte Carlo average over `inner.samples` reparameterised draws
///    θ = m + s ⊙ ε, ε ~ N(0, I).
/// 2. The meta-objective is on the query set under the adapted posterior, plus (β / N_Q) ·
///    KL(q_φK ‖ p_ψ), differentiated with respect to ψ through the inner steps (second order;
///    `inner.firstOrder` treats the inner gradients as constants). The KL term is the paper's
///    (its Eq. 4, per task, against the prior). The query term is, by `inner.objective`,
///    either the paper's expected log-likelihood E_q[−log p(y_Q | x_Q, θ)] (`expected`), or
///    the posterior-predictive log-likelihood −log (1/S) Σ_s p(y_Q | x_Q, θ_s) per point over
///    the S draws (`predictive`: what the predictive distribution is scored by; the expected
///    form penalises every spread of the draws by Jensen's inequality, so nothing in it asks
///    the posterior to be as wide as its errors, and σ stays at its initial value).
/// 3. Predictions average over `inner.samples` posterior draws: the mean prediction for
///    regression, the mean class probabilities for classification.
///
/// Regression's likelihood is Gaussian. The support bound uses the tasks' known noise
/// (``noiseStandardDeviation``). With `inner.learned_noise` the parameters also hold
/// ``logNoiseName``, the log standard deviation of an observation noise meta-learned by the
/// query objective (from the configured initial value, not adapted in the inner loop): it absorbs the
/// error that a mean-field posterior after a few SGD steps does not represent, and the
/// predictive distribution uses it (``observationNoise(_:)``). With `inner.residual_noise` as
/// well, the parameters end with ``residualScaleName`` too, and a task's observation variance
/// is e^{2ℓ} + e^{κ} · r̄², ℓ the learned log noise, κ the learned log scale and r̄² the mean
/// squared residual of the adapted posterior's draws on the task's own support set
/// (``taskLogNoise(model:posterior:supportInputs:supportTargets:noise:logNoise:logResidualScale:)``):
/// a task the few inner steps fit badly gets a wider predictive. (With ν pseudo-observations of
/// an inverse-gamma prior on the noise variance, the conjugate update's variance is a weighted
/// sum of the prior's and the residual's of this form; here both weights are meta-learned by
/// the query objective, which also corrects the support residual's optimism: the posterior was
/// fitted to those points.) With `inner.noise_dof` ν as well, the noise of each draw's
/// prediction is that scale times a Student-t with ν degrees of freedom (``StudentT``), the
/// marginal of a Gaussian whose variance has that conjugate inverse-gamma posterior (ν = ν₀ + N
/// for ν₀ pseudo-observations and N support residuals): a narrower centre and heavier tails
/// than a Gaussian of the same width, as a task's errors are, small near its support points and
/// large between and beyond them. The scale is meta-learned under it; ν is fixed. With
/// `inner.leverage_noise` as well, the parameters end with ``leverageScaleName`` too, and the
/// noise variance of query point x is that task's variance times 1 + e^γ · h(x), γ meta-learned
/// from 0 and h(x) = ‖x − x̄‖² / Σᵢ ‖xᵢ − x̄‖² the leverage of x relative to the support inputs
/// xᵢ (mean x̄) (``leverages(support:query:)``): the factor of least-squares regression's
/// prediction variance σ²(1 + 1/N + h(x)) for a line fitted through the support points (γ = 0
/// is that factor; the 1/N is absorbed in the learned scale). A few inner steps through five
/// points leave errors that are small near them and grow away from them; one width per task
/// cannot follow that at both the centre and the tails of the predictive.
///
/// Why ABML and not probabilistic MAML (PLATIPUS; Finn, Xu & Levine 2018): ABML's prior is
/// exactly the pair (μ, σ) that the learner seam's parameters can hold, its posterior is
/// obtained by the same inner SGD as MAML (``InnerUpdate``), and its meta-objective is one
/// differentiable function of ψ per task, so it goes through `taskStep`, shards, the cluster
/// and checkpoints unchanged. PLATIPUS needs a second, query-conditioned inference network at
/// meta-training and learned per-step variances besides, for the same kind of prior.
///
/// Departures from the paper, and conventions:
/// - no hyper-prior on ψ (the paper puts a Normal–Gamma hyper-prior on (μ, σ⁻²) to keep σ
///   from collapsing); the KL weight β is the knob instead;
/// - the inner loop updates m and log s with one rate α (the paper also uses plain SGD);
/// - the prior's initial log σ is `inner.prior_log_sigma` for every weight (the paper's
///   reference code draws it from U(−4, −3));
/// - the predictive objective and the learned observation noise above are departures, both
///   off by default (the ELBO and the known noise 0.3, the ambiguous tasks' own);
/// - `inner.precondition_kl` (the Omniglot preset's): the inner step on the KL's mean part
///   is preconditioned by the prior's variance (``klDivergence(posterior:prior:preconditioned:)``);
///   the paper takes plain SGD steps on the bound, which with a narrow prior and the
///   likelihood's step size diverge (MAML's α = 0.4 against the KL's curvature ≈ 600);
///   classification uses the softmax likelihood (cross-entropy);
/// - the reparameterisation noise comes from keyed streams, see ``noise(for:shapes:slot:samples:)``.
public enum ABML {
    /// The log σ entries' name prefix.
    public static let logSigmaPrefix = "logsigma."
    /// The learned observation noise's name (`inner.learned_noise`): its log standard
    /// deviation, shape [1], after the log σ entries.
    public static let logNoiseName = "observation.log_noise"
    /// The log of the support residual's weight in a task's noise variance (`inner.residual_noise`),
    /// shape [1], after ``logNoiseName``.
    public static let residualScaleName = "observation.log_residual_scale"
    /// The regression likelihood's noise standard deviation (known and fixed).
    public static let noiseStandardDeviation = AmbiguousTasks.noiseStandardDeviation
    /// The log of the leverage's weight γ in each query point's noise variance
    /// (`inner.leverage_noise`), shape [1], last.
    public static let leverageScaleName = "observation.log_leverage_scale"
    /// The trailing observation-noise entries' names, in their order.
    static let noiseNames = [logNoiseName, residualScaleName, leverageScaleName]
    /// The noise-stream slot of the query objective and of predictions (inner step k uses slot k).
    public static let predictionSlot = UInt64(1) << 32

    /// The model's initial parameters as μ, followed by log σ = `inner.priorLogSigma` for each,
    /// with `inner.learnedNoise` the log of that initial noise as ``logNoiseName``, and with
    /// `inner.residualNoise` as well a log residual scale of 0 as ``residualScaleName``, and
    /// with `inner.leverageNoise` a log leverage scale of 0 as ``leverageScaleName``.
    public static func initialParameters<S: TensorScalar>(model: any Model, seed: UInt64, inner: InnerLoop = InnerLoop(steps: 1, learningRate: 0),
                                                          as: S.Type = S.self) -> Parameters<Tensor<S>> {
        let base = model.initialParameters(seed: seed, as: S.self)
        let logSigma = zip(base.names, base.values).map { name, value in
            (logSigmaPrefix + name, Tensor<S>(repeating: S(inner.priorLogSigma), shape: value.shape))
        }
        var noise = inner.learnedNoise.map { [(logNoiseName, Tensor<S>(shape: [1], scalars: [S(Foundation.log($0))]))] } ?? []
        if inner.residualNoise && inner.learnedNoise != nil { noise.append((residualScaleName, Tensor<S>(shape: [1], scalars: [S(0)]))) }
        if inner.leverageNoise && inner.learnedNoise != nil { noise.append((leverageScaleName, Tensor<S>(shape: [1], scalars: [S(0)]))) }
        return Parameters(Array(zip(base.names, base.values)) + logSigma + noise)
    }

    /// How many observation-noise entries end the parameter set (0 to 3): ``logNoiseName``
    /// followed by ``residualScaleName`` and/or ``leverageScaleName``, in that order.
    static func noiseEntries<V>(_ p: Parameters<V>) -> Int {
        for count in stride(from: min(3, p.count), through: 1, by: -1) {
            let tail = Array(p.names.suffix(count))
            guard tail.first == logNoiseName else { continue }
            let order = tail.compactMap { noiseNames.firstIndex(of: $0) }
            if order.count == count && zip(order, order.dropFirst()).allSatisfy({ $0 < $1 }) { return count }
        }
        return 0
    }

    /// The trailing noise entry named `name`, nil without one.
    static func noiseEntry<V>(_ p: Parameters<V>, named name: String) -> V? {
        let n = noiseEntries(p)
        guard n > 0, let i = p.names.suffix(n).firstIndex(of: name) else { return nil }
        return p.values[i]
    }

    /// The number of model parameters in an ABML parameter set (means first, then as many log σ,
    /// then optionally ``logNoiseName``, ``residualScaleName`` and ``leverageScaleName``).
    static func half<V>(_ p: Parameters<V>) -> Int {
        let paired = p.count - noiseEntries(p)
        require(paired % 2 == 0 && p.names[(paired / 2)..<paired].allSatisfy { $0.hasPrefix(logSigmaPrefix) },
                "ABML parameters must be the model's followed by '\(logSigmaPrefix)' entries (and optionally '\(logNoiseName)', "
                    + "'\(residualScaleName)', '\(leverageScaleName)')")
        return paired / 2
    }

    /// The learned observation noise's log standard deviation, nil without one.
    static func logNoise<V>(_ p: Parameters<V>) -> V? { noiseEntries(p) > 0 ? p.values[p.count - noiseEntries(p)] : nil }

    /// The learned log residual scale κ, nil without one.
    static func logResidualScale<V>(_ p: Parameters<V>) -> V? { noiseEntry(p, named: residualScaleName) }

    /// The learned log leverage scale γ, nil without one.
    static func logLeverageScale<V>(_ p: Parameters<V>) -> V? { noiseEntry(p, named: leverageScaleName) }

    /// Each query input's leverage relative to the support inputs, h(x) = ‖x − x̄‖² / Σᵢ ‖xᵢ − x̄‖²
    /// (x̄ the support inputs' mean; rows are inputs), shape [queries, 1]; 0 everywhere when the
    /// support inputs coincide.
    public static func leverages<S: TensorScalar>(support: Tensor<S>, query: Tensor<S>) -> Tensor<S> {
        let xs = support.converted(to: Double.self).scalars, xq = query.converted(to: Double.self).scalars
        let (n, m) = (support.shape[0], query.shape[0])
        let d = xs.count / max(n, 1)
        require(n > 0 && xq.count == m * d, "ABML.leverages: support \(support.shape) and query \(query.shape) differ in width")
        let centre = (0..<d).map { k in (0..<n).reduce(0.0) { $0 + xs[$1 * d + k] } / Double(n) }
        func square(_ x: [Double], _ row: Int) -> Double { (0..<d).reduce(0.0) { $0 + (x[row * d + $1] - centre[$1]) * (x[row * d + $1] - centre[$1]) } }
        let spread = (0..<n).reduce(0.0) { $0 + square(xs, $1) }
        return Tensor<S>(shape: [m, 1], scalars: (0..<m).map { spread > 0 ? S(square(xq, $0) / spread) : S(0) })
    }

    /// A regression task's log observation standard deviation, shape [1]:
    /// ½ log(e^{2ℓ} + e^{κ} · r̄²) with r̄² the mean over the draws of `noise` and the support
    /// points of the squared residual of the posterior `q`'s draws (see the type's comment);
    /// `logNoise` (ℓ) itself without a residual scale. With `logLeverageScale` (γ) and
    /// `queryInputs`, shape [queries, 1]: each query point's, that plus ½ log(1 + e^γ · h(x))
    /// (``leverages(support:query:)``).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func taskLogNoise<S: TensorScalar>(model: any Model, posterior q: Parameters<Variable<S>>, supportInputs: Tensor<S>,
                                                     supportTargets: Targets<S>, noise: [[Tensor<S>]], logNoise: Variable<S>?,
                                                     logResidualScale: Variable<S>?, queryInputs: Tensor<S>?,
                                                     logLeverageScale: Variable<S>?) -> Variable<S>? {
        let task = taskLogNoise(model: model, posterior: q, supportInputs: supportInputs, supportTargets: supportTargets, noise: noise,
                                logNoise: logNoise, logResidualScale: logResidualScale)
        guard let task, let logLeverageScale, let queryInputs, case .regression = supportTargets else { return task }
        let h = Variable(leverages(support: supportInputs, query: queryInputs))
        let factor = h * logLeverageScale.exp().reshaped([1, 1]).broadcast(to: h.shape) + S(1)
        return task.reshaped([1, 1]).broadcast(to: h.shape) + factor.log() * S(0.5)
    }

    /// The task-wide part of the log noise, shape [1] (the function above without the leverage).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func taskLogNoise<S: TensorScalar>(model: any Model, posterior q: Parameters<Variable<S>>, supportInputs: Tensor<S>,
                                                     supportTargets: Targets<S>, noise: [[Tensor<S>]], logNoise: Variable<S>?,
                                                     logResidualScale: Variable<S>?) -> Variable<S>? {
        guard let logNoise, let logResidualScale, case let .regression(y) = supportTargets else { return logNoise }
        let x = Variable(supportInputs)
        var squares = Variable<S>(S(0))
        for theta in draws(q, noise: noise) {
            let d = model.apply(theta, x) - Variable(y)
            squares = squares + (d * d).mean()
        }
        let residual = squares * S(1 / Double(noise.count))
        let variance = (logNoise * S(2)).exp() + logResidualScale.exp() * residual.reshaped([1])
        return variance.log() * S(0.5)
    }

    /// The regression predictive's observation noise standard deviation: the learned one, else
    /// the known ``noiseStandardDeviation``.
    public static func observationNoise<S: TensorScalar>(_ p: Parameters<Tensor<S>>) -> Double {
        logNoise(p).map { Foundation.exp(Double($0.scalars[0])) } ?? noiseStandardDeviation
    }

    /// KL(N(m, s²) ‖ N(μ, σ²)) summed over every coordinate, from means and log standard
    /// deviations: Σ [λ − ρ + (e^{2(ρ−λ)} + (m − μ)² e^{−2λ}) / 2 − 1/2] with ρ = log s, λ = log σ.
    ///
    /// With `preconditioned`, the inner loop's surrogate (`inner.precondition_kl`): the mean
    /// part's (m − μ)² e^{−2λ} is (m − μ)² without the factor, so the surrogate's gradient with
    /// respect to m is σ² times the KL's, m − μ, and with respect to ρ the KL's. An SGD step on
    /// it is a step preconditioned by the prior's variance on the means (the Gaussian's Fisher
    /// metric in m, taken at the prior): a diagonal positive preconditioner, so the bound's
    /// stationary points are unchanged, but the step α that suits the likelihood no longer
    /// overshoots the KL's curvature 1/(N σ²) (≈ 600 for σ = e^{−4}, N = 5). Not a divergence:
    /// the meta-objective's KL is always the true one.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func klDivergence<S: TensorScalar>(posterior q: Parameters<Variable<S>>, prior p: Parameters<Variable<S>>,
                                                     preconditioned: Bool = false) -> Variable<S> {
        let n = half(q)
        var total = Variable<S>(S(0))
        var count = 0
        for i in 0..<n {
            let (m, rho, mu, lambda) = (q.values[i], q.values[n + i], p.values[i], p.values[n + i])
            let d = m - mu
            let meanPart = preconditioned ? d * d : d * d * (lambda * S(-2)).exp()
            let term = (lambda - rho) + (((rho - lambda) * S(2)).exp() + meanPart) * S(0.5)
            total = total + term.sum()
            count += m.value.count
        }
        return total - S(0.5) * S(count)
    }

    /// The negative log-likelihood per point of `targets` given the network's `prediction`:
    /// Gaussian for regression (log standard deviation `logNoise`, shape [1]; nil: the known
    /// ``noiseStandardDeviation``), cross-entropy for classification.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func negativeLogLikelihood<S: TensorScalar>(_ prediction: Variable<S>, _ targets: Targets<S>,
                                                              logNoise: Variable<S>? = nil) -> Variable<S> {
        switch targets {
        case let .regression(y):
            let d = prediction - Variable(y)
            guard let logNoise else {
                let sd = noiseStandardDeviation
                return (d * d).mean() * S(1 / (2 * sd * sd)) + S(Foundation.log(sd) + 0.5 * Foundation.log(2 * Double.pi))
            }
            let precision = (logNoise * S(-2)).exp().reshaped([1, 1]).broadcast(to: d.shape)
            return (d * d * precision).mean() * S(0.5) + logNoise.sum() + S(0.5 * Foundation.log(2 * Double.pi))
        case let .classification(labels):
            return Losses.crossEntropy(logits: prediction, labels: labels)
        }
    }

    /// The posterior-predictive negative log-likelihood per point, −(1/N) Σ_j log (1/S) Σ_s
    /// p(y_j | x_j, θ_s), of the draws' `predictions` (S of them): the mixture of Gaussians
    /// (log standard deviation `logNoise`, nil: the known noise) for regression, of the draws'
    /// softmax for classification. Log-sum-exp over draws, so far-off draws stay finite.
    /// `logNoise` is shape [1] (every point) or [N, 1] (one per point). With
    /// `degreesOfFreedom` ν, regression's components are Student-t of scale e^logNoise.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func predictiveNegativeLogLikelihood<S: TensorScalar>(_ predictions: [Variable<S>], _ targets: Targets<S>,
                                                                        logNoise: Variable<S>? = nil,
                                                                        degreesOfFreedom: Double? = nil) -> Variable<S> {
        let logS = Foundation.log(Double(predictions.count))
        switch targets {
        case let .regression(y):
            let stacked = Variable.concatenate(predictions, axis: 1)            // [N, S]
            let d = stacked - Variable(y).broadcast(to: stacked.shape)
            let logSD = logNoise ?? Variable(Tensor<S>(shape: [1], scalars: [S(Foundation.log(noiseStandardDeviation))]))
            // One log scale for every point ([1]) or one per point ([N, 1]): its mean over the points.
            let perPoint = logSD.count > 1
            let precision = (logSD * S(-2)).exp().reshaped(perPoint ? [d.shape[0], 1] : [1, 1]).broadcast(to: d.shape)
            let logScale = perPoint ? logSD.mean() : logSD.sum()
            if let nu = degreesOfFreedom {
                // Student-t of scale e^logSD: −(ν+1)/2 · log(1 + z²/ν), up to the constant.
                let logLikelihoods = (d * d * precision * S(1 / nu) + S(1)).log() * S(-(nu + 1) / 2)
                return -logLikelihoods.logSumExp(alongAxis: 1).mean() + logScale
                    + S(logS - StudentT.logNormaliser(degreesOfFreedom: nu))
            }
            let logLikelihoods = d * d * precision * S(-0.5)                    // up to the constant
            return -logLikelihoods.logSumExp(alongAxis: 1).mean() + logScale + S(logS + 0.5 * Foundation.log(2 * Double.pi))
        case let .classification(labels):
            let classes = predictions[0].shape[1]
            let oneHot = Variable(Tensor<S>.oneHot(labels, classes: classes))
            let picked = Variable.concatenate(predictions.map { ($0.logSoftmax(alongAxis: 1) * oneHot).sum(alongAxes: [1], keepingDimensions: true) },
                                              axis: 1)                          // [N, S]
            return -picked.logSumExp(alongAxis: 1).mean() + S(logS)
        }
    }

    /// The weights of posterior draw θ = m + e^ρ ⊙ ε for each noise draw ε (one per sample), in
    /// the full parameter layout (the draw in place of the means, log s unchanged), so the model
    /// applies them as they are.
    static func draws<S: TensorScalar>(_ q: Parameters<Variable<S>>, noise: [[Tensor<S>]]) -> [Parameters<Variable<S>>] {
        let n = half(q)
        return noise.map { eps in
            let theta = (0..<n).map { i in q.values[i] + q.values[n + i].exp() * Variable(eps[i]) }
            return Parameters(layout: q.layout, values: theta + Array(q.values[n...]))
        }
    }

    /// The objective E_q[−log p(targets | inputs, θ)] + (β / N) · KL(q ‖ prior) with the
    /// expectation over the draws of `noise` (with `predictive`, the posterior-predictive
    /// ``predictiveNegativeLogLikelihood(_:_:logNoise:)`` of the draws in place of the
    /// expectation), and each draw's prediction. `logNoise`: the regression likelihood's log
    /// standard deviation (nil: the known noise). `preconditionedKL`: the KL's inner-step
    /// surrogate in place of the KL (``klDivergence(posterior:prior:preconditioned:)``).
    /// `degreesOfFreedom`: Student-t noise in the predictive form (only there).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func objective<S: TensorScalar>(model: any Model, posterior q: Parameters<Variable<S>>, prior: Parameters<Variable<S>>,
                                                  inputs: Tensor<S>, targets: Targets<S>, noise: [[Tensor<S>]],
                                                  klWeight: Double, predictive: Bool = false,
                                                  logNoise: Variable<S>? = nil, preconditionedKL: Bool = false,
                                                  degreesOfFreedom: Double? = nil) -> (loss: Variable<S>, predictions: [Variable<S>]) {
        let x = Variable(inputs)
        let predictions = draws(q, noise: noise).map { model.apply($0, x) }
        var likelihood = Variable<S>(S(0))
        if predictive {
            likelihood = predictiveNegativeLogLikelihood(predictions, targets, logNoise: logNoise, degreesOfFreedom: degreesOfFreedom)
        } else {
            for p in predictions { likelihood = likelihood + negativeLogLikelihood(p, targets, logNoise: logNoise) }
            likelihood = likelihood * S(1 / Double(predictions.count))
        }
        guard klWeight != 0 else { return (likelihood, predictions) }
        let kl = klDivergence(posterior: q, prior: prior, preconditioned: preconditionedKL)
        return (likelihood + kl * S(klWeight / Double(targets.count)), predictions)
    }

    /// The variational posterior after `steps` SGD steps on the support objective (the bound
    /// with the known noise; with `preconditionedKL`, its KL part preconditioned, see
    /// ``klDivergence(posterior:prior:preconditioned:)``) from the prior (φ₀ = ψ); inner step k
    /// draws its noise from slot k.
    /// The learned noise, if any, is carried along unchanged.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func posterior<S: TensorScalar>(model: any Model, prior: Parameters<Variable<S>>, inputs: Tensor<S>,
                                                  targets: Targets<S>, steps: Int, learningRate: Double, samples: Int,
                                                  klWeight: Double, preconditionedKL: Bool = false, key: UInt64,
                                                  createGraph: Bool) -> Parameters<Variable<S>> {
        let shapes = prior.values.prefix(half(prior)).map(\.value.shape)
        var step: UInt64 = 0
        return InnerUpdate.descend(prior, moving: Array(0..<(2 * half(prior))), steps: steps, learningRate: S(learningRate),
                                   createGraph: createGraph) { q in
            defer { step += 1 }
            return objective(model: model, posterior: q, prior: prior, inputs: inputs, targets: targets,
                             noise: noise(for: key, shapes: shapes, slot: step, samples: samples), klWeight: klWeight,
                             preconditionedKL: preconditionedKL).loss
        }
    }

    /// One task's meta-objective and its gradient with respect to ψ (see the type's comment);
    /// the metric is the predictive mean's (MSE, or accuracy of the mean probabilities).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                                 inner: InnerLoop) -> TaskResult<S> {
        let prior = parameters.map { Variable(differentiable: $0) }
        let key = sampleKey(AdaptationInput(task))
        let q = posterior(model: model, prior: prior, inputs: task.supportInputs, targets: task.supportTargets, steps: inner.steps,
                          learningRate: inner.learningRate, samples: inner.samples, klWeight: inner.klWeight,
                          preconditionedKL: inner.preconditionedKL, key: key, createGraph: !inner.firstOrder)
        let shapes = parameters.values.prefix(half(parameters)).map(\.shape)
        let predictionNoise: [[Tensor<S>]] = noise(for: key, shapes: shapes, slot: predictionSlot, samples: inner.samples)
        let taskNoise = taskLogNoise(model: model, posterior: q, supportInputs: task.supportInputs, supportTargets: task.supportTargets,
                                     noise: predictionNoise, logNoise: logNoise(prior), logResidualScale: logResidualScale(prior),
                                     queryInputs: task.queryInputs, logLeverageScale: logLeverageScale(prior))
        let (loss, predictions) = objective(model: model, posterior: q, prior: prior, inputs: task.queryInputs,
                                            targets: task.queryTargets, noise: predictionNoise,
                                            klWeight: inner.klWeight, predictive: inner.predictiveObjective, logNoise: taskNoise,
                                            degreesOfFreedom: inner.noiseDegreesOfFreedom)
        let grads = gradients(of: loss, withRespectTo: prior.values)
        let outputs = predictiveOutputs(predictions.map(\.value), targets: task.queryTargets)
        return TaskResult(loss: Double(loss.scalar), metric: TaskLoss.metric(outputs, task.queryTargets),
                          metaGradient: Parameters(layout: parameters.layout, values: grads.map(\.value)))
    }

    /// Each posterior draw's query outputs after 0, 1, …, `steps` inner steps (first order, no
    /// graph kept): entry k holds `inner.samples` outputs (`[queries, 1]` predictions or
    /// `[queries, classes]` logits), drawn with the prediction slot's noise.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func sampleOutputs<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, input: AdaptationInput<S>,
                                                      inner: InnerLoop, steps: Int) -> [[Tensor<S>]] {
        adapted(model: model, parameters: parameters, input: input, inner: inner, steps: steps).outputs
    }

    /// The regression predictive of a task after `steps` inner steps: the draws' query outputs
    /// (the last entry of ``sampleOutputs(model:parameters:input:inner:steps:)``) and the
    /// observation noise's standard deviation at each query point (the learned noise, widened
    /// by the support residual with `inner.residual_noise` and by the query point's leverage
    /// with `inner.leverage_noise`; else the known noise).
    public static func predictive<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, input: AdaptationInput<S>,
                                                   inner: InnerLoop, steps: Int) -> (draws: [Tensor<S>], noise: [Double]) {
        let a = adapted(model: model, parameters: parameters, input: input, inner: inner, steps: steps)
        let p = parameters.map { Variable($0) }
        let queries = input.queryInputs.shape[0]
        let logSD = taskLogNoise(model: model, posterior: a.posterior.map { Variable($0) }, supportInputs: input.supportInputs,
                                 supportTargets: input.supportTargets, noise: a.predictionNoise, logNoise: logNoise(p),
                                 logResidualScale: logResidualScale(p), queryInputs: input.queryInputs,
                                 logLeverageScale: logLeverageScale(p))
        guard let logSD else { return (a.outputs.last!, Array(repeating: noiseStandardDeviation, count: queries)) }
        let sd = logSD.value.scalars.map { Foundation.exp(Double($0)) }
        return (a.outputs.last!, sd.count == 1 ? Array(repeating: sd[0], count: queries) : sd)
    }

    /// ``sampleOutputs(model:parameters:input:inner:steps:)``'s outputs, the posterior after the
    /// last step and the prediction slot's noise.
    static func adapted<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, input: AdaptationInput<S>,
                                         inner: InnerLoop, steps: Int)
        -> (outputs: [[Tensor<S>]], posterior: Parameters<Tensor<S>>, predictionNoise: [[Tensor<S>]]) {
        let key = sampleKey(input)
        let shapes = parameters.values.prefix(half(parameters)).map(\.shape)
        let prediction: [[Tensor<S>]] = noise(for: key, shapes: shapes, slot: predictionSlot, samples: inner.samples)
        let xq = Variable(input.queryInputs)
        let prior = parameters.map { Variable($0) }
        var q = parameters
        var result: [[Tensor<S>]] = []
        for step in 0...steps {
            result.append(draws(q.map { Variable($0) }, noise: prediction).map { model.apply($0, xq).value })
            if step == steps { break }
            // One more inner step from the current posterior, with inner step `step`'s noise.
            let current = q.map { Variable(differentiable: $0) }
            let (loss, _) = objective(model: model, posterior: current, prior: prior, inputs: input.supportInputs,
                                      targets: input.supportTargets,
                                      noise: noise(for: key, shapes: shapes, slot: UInt64(step), samples: inner.samples),
                                      klWeight: inner.klWeight, preconditionedKL: inner.preconditionedKL)
            let moving = 2 * half(q)
            let g = gradients(of: loss, withRespectTo: Array(current.values[..<moving]))
            q = Parameters(layout: q.layout, values: zip(q.values[..<moving], g).map { $0 - $1.value * S(inner.learningRate) }
                                                     + q.values[moving...])
        }
        return (result, q, prediction)
    }

    /// The predictive outputs from each draw's outputs: the mean prediction for regression; for
    /// classification, the log of the mean class probabilities (whose softmax is that mean).
    public static func predictiveOutputs<S: TensorScalar>(_ samples: [Tensor<S>], targets: Targets<S>) -> Tensor<S> {
        predictiveOutputs(samples, classification: { if case .classification = targets { true } else { false } }())
    }

    /// As ``predictiveOutputs(_:targets:)``, for outputs of a classifier or not.
    public static func predictiveOutputs<S: TensorScalar>(_ samples: [Tensor<S>], classification: Bool) -> Tensor<S> {
        require(!samples.isEmpty, "ABML: no posterior samples")
        let scale = S(1 / Double(samples.count))
        if !classification { return samples.dropFirst().reduce(samples[0], +) * scale }
        let probabilities = samples.map { Variable($0).softmax(alongAxis: -1).value }
        return (probabilities.dropFirst().reduce(probabilities[0], +) * scale).map(.log)
    }
}

/// ABML as a registered learner: the prior's means and log standard deviations are its
/// parameters; `inner.samples` and `inner.kl_weight` configure it.
public struct ABMLLearner: PredictiveLearner {
    public init() {}
    public var id: LearnerID { .abml }

    public func initialParameters<S: TensorScalar>(model: any Model, seed: UInt64, as: S.Type) -> Parameters<Tensor<S>> {
        ABML.initialParameters(model: model, seed: seed, as: S.self)
    }

    /// With `inner.prior_log_sigma` and `inner.learned_noise`.
    public func initialParameters<S: TensorScalar>(model: any Model, seed: UInt64, inner: InnerLoop, as: S.Type) -> Parameters<Tensor<S>> {
        ABML.initialParameters(model: model, seed: seed, inner: inner, as: S.self)
    }

    public func taskStep<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop) -> TaskResult<S> {
        ABML.taskStep(model: model, parameters: parameters, task: task, inner: inner)
    }

    /// The posterior predictive after each inner step (``ABML/predictiveOutputs(_:classification:)``).
    public func queryOutputs<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, input: AdaptationInput<S>,
                                              inner: InnerLoop, steps: Int) -> [Tensor<S>] {
        let classification: Bool = { if case .classification = input.supportTargets { true } else { false } }()
        return ABML.sampleOutputs(model: model, parameters: parameters, input: input, inner: inner, steps: steps)
            .map { ABML.predictiveOutputs($0, classification: classification) }
    }

    public func sampleOutputs<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, input: AdaptationInput<S>,
                                               inner: InnerLoop, steps: Int) -> [Tensor<S>] {
        ABML.sampleOutputs(model: model, parameters: parameters, input: input, inner: inner, steps: steps).last!
    }

    public func predictive<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, input: AdaptationInput<S>,
                                            inner: InnerLoop, steps: Int) -> (draws: [Tensor<S>], noise: [Double]) {
        ABML.predictive(model: model, parameters: parameters, input: input, inner: inner, steps: steps)
    }

    public func problem(with configuration: RunConfiguration) -> String? {
        if configuration.inner.residualNoise && configuration.inner.learnedNoise == nil {
            return "inner.residual_noise widens the learned observation noise, and inner.learned_noise is not set; "
                + "set inner.learned_noise (e.g. 1.0) or drop inner.residual_noise"
        }
        if configuration.inner.noiseDegreesOfFreedom != nil
            && (configuration.inner.learnedNoise == nil || !configuration.inner.predictiveObjective) {
            return "inner.noise_dof makes the predictive's learned noise a Student-t, and needs inner.learned_noise and "
                + "inner.objective: predictive; set both or drop inner.noise_dof"
        }
        if configuration.inner.leverageNoise && (configuration.inner.learnedNoise == nil || !configuration.inner.predictiveObjective) {
            return "inner.leverage_noise widens the learned noise away from the support points, and needs inner.learned_noise and "
                + "inner.objective: predictive; set both or drop inner.leverage_noise"
        }
        return innerStepsProblem(configuration)
    }

    public var presets: [RunConfiguration] {
        [RunConfiguration(
            name: "ambiguous-abml",
            source: "Ravi & Beatson 2019 (ABML) on probabilistic MAML's ambiguous regression (Finn, Xu & Levine 2018 §5.1): "
                + "5 support and 100 query points, noise 0.3 (the known noise of the support bound); the MAML sine network; "
                + "5 inner steps (the paper's 5) α=0.001 on the Gaussian NLL (0.01 diverges: the NLL's gradient is 1/(2·0.3²) "
                + "times the MSE's), 5 posterior samples, KL weight 1, prior log σ −2 at the start, the posterior-predictive "
                + "query objective with a learned observation noise from 1.0, widened per task by the support residual and "
                + "per query point by its leverage relative to the support (departures: "
                + "with the paper's expected log-likelihood, fixed noise and log σ −4 the predictive is far too narrow), "
                + "meta-batch 10, Adam 0.001, 2,000 iterations (20,000 tasks; no hyper-prior)",
            algorithm: .abml, family: .ambiguous(support: 5, query: 100), architecture: .sineMLP(hidden: [40, 40]),
            inner: InnerLoop(steps: 5, evaluationSteps: 5, learningRate: 0.001, samples: 5, klWeight: 1, priorLogSigma: -2,
                             learnedNoise: 1.0, predictiveObjective: true, residualNoise: true, leverageNoise: true),
            metaBatchSize: 10, outerOptimizer: .adam(learningRate: 0.001), iterations: 2_000),
         {
            var c = RunConfiguration.omniglot5w1s(.abml, name: "omniglot-5w1s-abml",
                                                  source: "Ravi & Beatson 2019 (ABML) with MAML's Omniglot 5-way 1-shot network and "
                                                      + "task setup (as omniglot-5w1s-maml), 1 inner step α=0.4 (3 at evaluation), "
                                                      + "5 posterior samples, Adam 0.001; departures: the inner step on the KL's "
                                                      + "mean part preconditioned by the prior's variance (plain SGD with α=0.4 "
                                                      + "diverges on the KL's curvature 1/(N·σ²) ≈ 600 at log σ −4), and KL weight "
                                                      + "0.001 (a tempered posterior; at the paper's 1 the query KL of a posterior "
                                                      + "α·g from a prior of σ = e^−4 is hundreds of nats per query point and the "
                                                      + "network learns little)")
            c.inner.samples = 5
            c.inner.preconditionedKL = true
            c.inner.klWeight = 0.001
            return c
         }()]
    }
}

extension LearnerID {
    public static let abml = LearnerID(registering: "abml")
}
