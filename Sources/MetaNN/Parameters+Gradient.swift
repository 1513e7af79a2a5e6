import MetaTensor
import MetaAutodiff

/// The functional gradient API over parameter trees.
///
/// ```swift
/// let (loss, g) = valueWithGradient(at: θ) { p in lossFunction(model.apply(p, x), y) }
/// ```
/// With `createGraph: true` the gradients are differentiable functions of θ (second order).

/// The value of `f` at `parameters` and its gradient with respect to every parameter.
public func valueWithGradient<S: TensorScalar>(at parameters: Parameters<Tensor<S>>, createGraph: Bool = false,
                                               of f: (Parameters<Variable<S>>) -> Variable<S>)
    -> (value: Variable<S>, gradient: Parameters<Variable<S>>) {
    let inputs = parameters.map { Variable(differentiable: $0) }
    let y = f(inputs)
    return (y, gradients(of: y, at: inputs, createGraph: createGraph))
}

/// The gradient of `f` at `parameters`, as tensors.
public func gradient<S: TensorScalar>(at parameters: Parameters<Tensor<S>>,
                                      of f: (Parameters<Variable<S>>) -> Variable<S>) -> Parameters<Tensor<S>> {
    valueWithGradient(at: parameters, of: f).gradient.map { $0.value }
}

/// The gradient of `output` with respect to each variable of `parameters` (leaves or
/// intermediate values such as adapted parameters), named like them.
public func gradients<S: TensorScalar>(of output: Variable<S>, at parameters: Parameters<Variable<S>>,
                                       createGraph: Bool = false) -> Parameters<Variable<S>> {
    Parameters(layout: parameters.layout,
               values: gradients(of: output, withRespectTo: parameters.values, createGraph: createGraph))
}
