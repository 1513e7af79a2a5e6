import MetaTensor
import MetaAutodiff
import MetaNN
import MetaTasks

/// The inner loop shared by the gradient-based learners: SGD on a task's support set.
///
/// - `adapting`: the names of the parameters that move (nil: all of the model's; ANIL: the head).
/// - `rates`: per-parameter step sizes as variables (Meta-SGD, named `lr.<parameter>`); when
///   nil every parameter uses `learningRate`.
/// - `createGraph`: record the inner gradients so the result is differentiable through them
///   (second order); otherwise the gradients are constants (first order), though the result
///   still depends on `parameters` (and on `rates`) through the update itself.
public enum InnerUpdate {
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func adapt<S: TensorScalar>(model: any Model, parameters: Parameters<Variable<S>>, inputs: Tensor<S>,
                                              targets: Targets<S>, steps: Int, learningRate: S, createGraph: Bool,
                                              adapting: [String]? = nil,
                                              rates: Parameters<Variable<S>>? = nil) -> Parameters<Variable<S>> {
        var fast = parameters
        let names = adapting ?? model.layers.flatMap { layer -> [String] in
            // The model's own parameters (a Meta-SGD set also holds its rates).
            parameters.names.filter { $0.hasPrefix(layer.name + ".") }
        }
        let indices = names.map { name -> Int in
            guard let i = parameters.names.firstIndex(of: name) else { fatalError("inner loop: no parameter named '\(name)'") }
            return i
        }
        let x = Variable(inputs)
        for _ in 0..<steps {
            let loss = TaskLoss.loss(model.apply(fast, x), targets)
            let g = gradients(of: loss, withRespectTo: indices.map { fast.values[$0] }, createGraph: createGraph)
            for (j, i) in indices.enumerated() {
                if let rates {
                    fast.values[i] = fast.values[i] - rates["lr." + parameters.names[i]] * g[j]
                } else {
                    fast.values[i] = fast.values[i] - g[j] * learningRate
                }
            }
        }
        return fast
    }
}
