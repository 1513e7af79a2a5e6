import MetaTensor

/// The steps of a task's episodes as a policy-gradient loss uses them: observations `[n, 2]`,
/// actions `[n, 2]` and advantages `[n]`, all episodes' steps in order.
///
/// Advantages follow the reference code (rllab's `process_samples` with λ = 1): discounted
/// returns (γ = `discount`) minus the ``LinearFeatureBaseline`` fit to the same episodes,
/// then centred and scaled to unit standard deviation (`center_adv`, ε = 1e-8). Departure:
/// the baseline is fit to these episodes before predicting (rllab predicts with the previous
/// batch's fit; per-task refitting as in pytorch-maml-rl keeps a task's step a pure function
/// of that task).
public struct PolicyBatch<S: TensorScalar>: Sendable {
    public var observations: Tensor<S>
    public var actions: Tensor<S>
    public var advantages: Tensor<S>

    public var count: Int { advantages.count }

    public init(observations: Tensor<S>, actions: Tensor<S>, advantages: Tensor<S>) {
        self.observations = observations; self.actions = actions; self.advantages = advantages
    }

    public init(paths: [Path], discount: Double) {
        let baseline = LinearFeatureBaseline.fit(paths, discount: discount, observationWidth: 2)
        var adv: [Double] = []
        for path in paths {
            let values = baseline.predict(path, observationWidth: 2)
            adv += zip(path.discountedReturns(discount: discount), values).map { $0 - $1 }
        }
        let n = Double(max(adv.count, 1))
        let mean = adv.reduce(0, +) / n
        let std = (adv.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
        adv = adv.map { ($0 - mean) / (std + 1e-8) }
        let steps = adv.count
        observations = Tensor(shape: [steps, 2], scalars: paths.flatMap(\.observations).map { S($0) })
        actions = Tensor(shape: [steps, 2], scalars: paths.flatMap(\.actions).map { S($0) })
        advantages = Tensor(shape: [steps], scalars: adv.map { S($0) })
    }
}
