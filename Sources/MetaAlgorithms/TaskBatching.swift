import MetaTensor
import MetaAutodiff
import MetaNN
import MetaTasks

/// Runs the per-task steps of a shard of tasks as one batched graph (what JAX's `vmap` does),
/// for models that accept a leading task axis (``Model/supportsTaskBatching``). The inner
/// loop is ``InnerUpdate/descend(_:moving:steps:learningRate:rates:createGraph:loss:)``, the
/// one every learner uses, on the stacked support loss.
///
/// Each task gets its own copy of the parameters, stacked along a new first axis, and these
/// copies are the leaves that gradients are taken with respect to; so each task's inner
/// gradients and meta-gradient are its own, computed with the same kernels on the same
/// per-task shapes as ``MAML/taskStep(model:parameters:task:inner:)``, and the results are
/// bit-identical to running the tasks one by one. What batching saves is the fixed cost of
/// each operation, paid once per shard instead of once per task.
public enum TaskBatching {
    /// Whether MAML's `tasks` can run batched under `model`.
    public static func applies<S: TensorScalar>(model: any Model, tasks: [Task<S>]) -> Bool {
        guard model.supportsTaskBatching, tasks.count > 1, let first = tasks.first else { return false }
        guard case .regression = first.supportTargets else { return false }
        return tasks.allSatisfy {
            $0.supportInputs.shape == first.supportInputs.shape && $0.queryInputs.shape == first.queryInputs.shape
        }
    }

    /// MAML (first or second order) over a shard of regression tasks, batched: each task's
    /// result, bit-identical to ``MAML/taskStep(model:parameters:task:inner:)``.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func mamlTaskSteps<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, tasks: [Task<S>],
                                                      inner: InnerLoop) -> [TaskResult<S>] {
        let stacked = mamlStacked(model: model, parameters: parameters, tasks: tasks, inner: inner)
        return (0..<tasks.count).map { i in
            let gradient = Parameters(layout: parameters.layout, values: zip(parameters.values, stacked.gradients).map { p, g in
                g.slice(axis: 0, start: i, length: 1).reshaped(p.shape)
            })
            return TaskResult(loss: stacked.losses[i], metric: stacked.losses[i], metaGradient: gradient)
        }
    }

    /// MAML over a shard of whole reduction blocks, batched, reduced to block sums straight
    /// from the stacked per-task gradients (``Tensor/sequentialSum(ofSlices:)``): bit-identical
    /// to ``ShardResult/init(_:)`` of the per-task results, without slicing them apart.
    ///
    /// With `traced` (one instance per model and inner-loop configuration, kept across
    /// calls), the batched step is recorded and then replayed (``TracedFunction``): the same
    /// bits, without the graph and derivative-rule bookkeeping of each call.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func mamlShard<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, tasks: [Task<S>],
                                                  inner: InnerLoop, traced: TracedFunction<S>? = nil) -> ShardResult<S> {
        let stacked = mamlStacked(model: model, parameters: parameters, tasks: tasks, inner: inner, traced: traced)
        let sums = stride(from: 0, to: tasks.count, by: MetaGradient.blockSize).map { start in
            let block = start..<min(start + MetaGradient.blockSize, tasks.count)
            return Parameters(layout: parameters.layout, values: zip(parameters.values, stacked.gradients).map { p, g in
                g.sequentialSum(ofSlices: block).reshaped(p.shape)
            })
        }
        return ShardResult(blockSums: sums, losses: stacked.losses, metrics: stacked.losses)
    }

    /// Per-task meta-gradients stacked along a first task axis (one tensor per parameter, in
    /// parameter order; vectors as `[T, 1, n]`) and per-task query losses.
    private struct Stacked<S: TensorScalar> {
        var gradients: [Tensor<S>]
        var losses: [Double]
    }

    @_specialize(where S == Float)
    @_specialize(where S == Double)
    private static func mamlStacked<S: TensorScalar>(model: any Model, parameters: Parameters<Tensor<S>>, tasks: [Task<S>],
                                                     inner: InnerLoop, traced: TracedFunction<S>? = nil) -> Stacked<S> {
        let t = tasks.count, n = parameters.count
        // Per-task parameter copies; vectors become [T, 1, n] so they broadcast over rows.
        let copies = parameters.values.map { p -> Tensor<S> in
            let single = p.rank == 1 ? [1, 1] + p.shape : [1] + p.shape
            return p.reshaped(single).broadcast(to: [t] + single.dropFirst())
        }
        func stack(_ parts: [Tensor<S>]) -> Tensor<S> { Tensor.concatenate(parts.map { $0.reshaped([1] + $0.shape) }, axis: 0) }
        func targets(_ query: Bool) -> Tensor<S> {
            stack(tasks.map { task -> Tensor<S> in
                guard case let .regression(y) = query ? task.queryTargets : task.supportTargets else {
                    fatalError("batched MAML needs regression tasks")
                }
                return y
            })
        }
        let data = [stack(tasks.map { $0.supportInputs }), targets(false), stack(tasks.map { $0.queryInputs }), targets(true)]
        let perTaskScale = 1 / S(tasks[0].supportInputs.shape[0] * tasks[0].supportInputs.shape.dropFirst().reduce(1, *))
        let queryScale = 1 / S(tasks[0].queryInputs.shape[0] * tasks[0].queryInputs.shape.dropFirst().reduce(1, *))
        let layout = parameters.layout

        // Inputs: the copies, then support x, y and query x, y. Outputs: the stacked
        // meta-gradients, then the per-task query losses.
        func step(_ inputs: [Tensor<S>]) -> [Tensor<S>] {
            let leaves = Parameters(layout: layout, values: inputs[..<n].map { Variable(differentiable: $0) })
            let supportX = Variable(inputs[n]), supportY = Variable(inputs[n + 1])
            let queryX = Variable(inputs[n + 2]), queryY = Variable(inputs[n + 3])
            // Σ_t mean_t((f_t(x) − y)²): each task's loss depends on its own copy only, so the
            // gradient with respect to the copies is the stack of the per-task gradients.
            let fast = InnerUpdate.descend(leaves, moving: Array(0..<n), steps: inner.steps, learningRate: S(inner.learningRate),
                                           createGraph: !inner.firstOrder) { fast in
                (model.apply(fast, supportX) - supportY).squared().sum() * perTaskScale
            }
            let squaredErrors = (model.apply(fast, queryX) - queryY).squared()
            let meta = gradients(of: squaredErrors.sum() * queryScale, withRespectTo: leaves.values)
            // Per-task losses, summed exactly as the unbatched step sums them.
            let perTaskLoss = squaredErrors.detached().sum(toShape: [t] + [Int](repeating: 1, count: squaredErrors.rank - 1)) * queryScale
            return meta.map(\.value) + [perTaskLoss.value]
        }
        let outputs = traced.map { $0(copies + data, step) } ?? step(copies + data)
        let losses = outputs[n].reshaped([t])
        return Stacked(gradients: Array(outputs[..<n]), losses: (0..<t).map { Double(losses[$0]) })
    }
}
