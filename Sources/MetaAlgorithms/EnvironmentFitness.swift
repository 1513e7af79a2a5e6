import MetaTensor
import MetaNN
import MetaTasks
import MetaRL

/// The fitness of a policy on a navigation task (``TaskShape/environment``): the mean return
/// of the task's `tasks.episodes` episodes after `inner.steps` vanilla policy-gradient steps of
/// rate α = `inner.learning_rate`, each step adapting on the episodes of the previous policy
/// (``PolicyAdaptation``, the evaluation protocol of Finn et al. 2017 §5.3); with
/// `inner.steps: 0`, the return of the policy itself (plain ES). Song et al. 2020 §3.2's
/// ES-MAML with a policy-gradient adaptation operator: the outer loop takes no derivative of
/// the adaptation, so nothing second order is estimated.
///
/// The episodes come from the task's own key (``NavigationTasks``: drawn from the stream
/// (seed, iteration, task index)), so the fitness is a pure function of (seed, iteration,
/// pair, task, trajectory) and of the parameters; θ+σε and θ−σε of a pair meet the same
/// action noise and the same goal (common random numbers), so their difference is the
/// perturbation's effect, not the episodes'. Evaluation is `maml-trpo`'s: returns after
/// 0…`steps` steps; the initial policy is ``GaussianPolicy``'s (log σ = 0).
public struct EnvironmentFitness: TaskFitness {
    public init() {}

    /// The actions of the navigation policy (a 2-D velocity).
    static let actions = 2

    public func fitness<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                         inner: InnerLoop) -> (fitness: Double, loss: Double, metric: Double) {
        let r = evaluate(model: model, parameters: parameters, task: task, inner: inner, steps: inner.steps).last!
        return (r, -r, r)
    }

    public func evaluate<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, task: Task<S>,
                                          inner: InnerLoop, steps: Int) -> [Double] {
        let d = NavigationTasks.decode(task)
        let settings = RLSettings(trajectories: d.episodes, horizon: d.horizon, innerLearningRate: inner.learningRate, innerSteps: steps)
        return PolicyAdaptation.returns(model: model, parameters: parameters, environment: NavigationEnvironment(goal: d.goal, horizon: d.horizon),
                                        settings: settings, steps: steps, seed: d.key, iteration: 0, task: 0)
    }

    public func initialParameters<S: TensorScalar>(model: any Model, seed: UInt64, as: S.Type) -> Parameters<Tensor<S>> {
        GaussianPolicy.initialParameters(model: model, actions: Self.actions, seed: seed, as: S.self)
    }
}
