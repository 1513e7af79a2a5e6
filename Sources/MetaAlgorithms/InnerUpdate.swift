import MetaTensor
import MetaAutodiff
import MetaNN
import MetaTasks

/// The inner loop of every gradient-based learner (MAML and its first-order variant, Meta-SGD,
/// ANIL, Reptile, and MAML's batched shard step ``TaskBatching``): plain SGD on a support loss.
///
/// ``descend(_:moving:steps:learningRate:rates:createGraph:loss:)`` is the loop itself; it
/// takes the support loss as a function of the current parameters, so one task
/// (``adapt(model:parameters:inputs:targets:steps:learningRate:createGraph:adapting:rates:)``)
/// and a stack of tasks with a leading task axis (``TaskBatching``) run the same updates with
/// the same operations in the same order.
///
/// - `adapting`: the names of the parameters that move (nil: all of the model's; ANIL: the head).
/// - `rates`: per-parameter step sizes as variables (Meta-SGD, named `lr.<parameter>`); when
///   nil every parameter uses `learningRate`.
/// - `createGraph`: record the inner gradients so the result is differentiable through them
///   (second order); otherwise the gradients are constants (first order), though the result
///   still depends on `parameters` (and on `rates`) through the update itself.
public enum InnerUpdate {
    /// `steps` updates θᵢ ← θᵢ − αᵢ · ∂loss/∂θᵢ of the parameters at `moving` (indices into
    /// `parameters`), with αᵢ the variable `rates[j]` for the j-th moving parameter when given,
    /// else the scalar `learningRate`. The others are left as they are.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func descend<S: TensorScalar>(_ parameters: Parameters<Variable<S>>, moving indices: [Int], steps: Int,
                                                learningRate: S, rates: [Variable<S>]? = nil, createGraph: Bool,
                                                loss: (Parameters<Variable<S>>) -> Variable<S>) -> Parameters<Variable<S>> {
        var fast = parameters
        for _ in 0..<steps {
            let g = gradients(of: loss(fast), withRespectTo: indices.map { fast.values[$0] }, createGraph: createGraph)
            for (j, i) in indices.enumerated() {
                if let rates {
                    fast.values[i] = fast.values[i] - rates[j] * g[j]
                } else {
                    fast.values[i] = fast.values[i] - g[j] * learningRate
                }
            }
        }
        return fast
    }

    /// The inner loop on one task's support set (`inputs`, `targets`) under `model`.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func adapt<S: TensorScalar>(model: any Model, parameters: Parameters<Variable<S>>, inputs: Tensor<S>,
                                              targets: Targets<S>, steps: Int, learningRate: S, createGraph: Bool,
                                              adapting: [String]? = nil,
                                              rates: Parameters<Variable<S>>? = nil) -> Parameters<Variable<S>> {
        let names = adapting ?? model.layers.flatMap { layer -> [String] in
            // The model's own parameters (a Meta-SGD set also holds its rates).
            parameters.names.filter { $0.hasPrefix(layer.name + ".") }
        }
        let indices = names.map { name -> Int in
            guard let i = parameters.names.firstIndex(of: name) else { fatalError("inner loop: no parameter named '\(name)'") }
            return i
        }
        let x = Variable(inputs)
        return descend(parameters, moving: indices, steps: steps, learningRate: learningRate,
                       rates: rates.map { r in indices.map { r["lr." + parameters.names[$0]] } }, createGraph: createGraph) { fast in
            TaskLoss.loss(model.apply(fast, x), targets)
        }
    }
}
