import MetaTensor
import MetaNN

/// MAML with a TRPO outer step for reinforcement learning (Finn et al. 2017 §3.2 and §5.3), in
/// one process: the meta-batch's ``MetaPolicyTask``s answer the ``TRPOStep``'s requests, summed
/// in task-index order. A cluster answers the same requests with the same sums, so the result
/// is the same bits.
public enum MAMLTRPO {
    /// One meta-iteration from θ over the tasks with `goals` (task i has goal i).
    public static func step<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, goals: [(x: Double, y: Double)],
                                             settings: RLSettings, trpo: TRPOSettings, seed: UInt64,
                                             iteration: UInt64) -> (parameters: Parameters<Tensor<S>>, outcome: TRPOStep.Outcome) {
        let tasks = goals.enumerated().map { i, goal in
            MetaPolicyTask(model: model, parameters: parameters, environment: NavigationEnvironment(goal: goal, horizon: settings.horizon),
                           settings: settings, seed: seed, iteration: iteration, task: UInt32(i))
        }
        var machine = TRPOStep(parameters: FlatParameters.flatten(parameters), taskCount: tasks.count, settings: trpo)
        while let request = machine.request {
            machine.receive(TRPOReply.sum(tasks.map { $0.answer(request) }))
        }
        let outcome = machine.outcome!
        return (FlatParameters.unflatten(outcome.parameters, like: parameters), outcome)
    }
}
