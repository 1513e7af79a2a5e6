import MetaTensor
import MetaAutodiff
import MetaNN

/// The evaluation protocol of Finn et al. 2017 §5.3 (Figure 5) for one task: the mean return of
/// `settings.trajectories` episodes with the policy after 0, 1, …, `steps` vanilla
/// policy-gradient steps (α = ``RLSettings/innerLearningRate``), each step adapting on the
/// episodes whose return it reports. Episodes of step k come from phase k's streams
/// (``Rollouts``).
public enum PolicyAdaptation {
    public static func returns<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, environment: NavigationEnvironment,
                                                settings: RLSettings, steps: Int, seed: UInt64, iteration: UInt64,
                                                task: UInt32) -> [Double] {
        var current = parameters
        var out: [Double] = []
        for step in 0...steps {
            let paths = Rollouts.sample(environment: environment, model: model, parameters: current, trajectories: settings.trajectories,
                                        seed: seed, iteration: iteration, task: task, phase: step)
            out.append(Rollouts.averageReturn(paths))
            if step == steps { break }
            let batch = PolicyBatch<S>(paths: paths, discount: settings.discount)
            current = PolicyGradient.adapt(model: model, parameters: current.map { Variable(differentiable: $0) }, batch: batch,
                                           learningRate: S(settings.innerLearningRate), createGraph: false).map(\.value)
        }
        return out
    }
}
