import MetaTensor

/// Reverse-mode differentiation of `output` with respect to `variables`.
///
/// The sweep visits, in reverse topological order, only the nodes that lie on a path from
/// one of `variables` to `output`, and asks each primitive's rule (``pullback``) for the
/// cotangents its inputs need. Cotangents that meet at a node are added.
///
/// - Parameters:
///   - output: the value to differentiate; a scalar unless `seed` is given.
///   - variables: what to differentiate with respect to (leaves or intermediate variables).
///   - seed: the output cotangent; ones by default.
///   - createGraph: when `true`, the derivative rules are recorded, so the returned gradients
///     are differentiable functions of the inputs (a gradient of a gradient: second-order
///     MAML). When `false` the returned gradients are constants and no graph is built.
/// - Returns: one gradient per variable, shaped like it; zeros where `output` does not depend on it.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func gradients<S: TensorScalar>(of output: Variable<S>, withRespectTo variables: [Variable<S>],
                                       seed: Variable<S>? = nil, createGraph: Bool = false) -> [Variable<S>] {
    require(seed != nil || output.count == 1,
                 "gradients(of:): output has shape \(output.shape); pass a seed for a non-scalar output")
    if let seed {
        require(seed.shape == output.shape, "shape error in gradients: seed \(seed.shape) vs output \(output.shape)")
    }
    let zeros = { (v: Variable<S>) in Variable(Tensor<S>(zeros: v.shape)) }
    guard let root = output.node else { return variables.map(zeros) }

    // 1. Topological order (inputs before outputs) of everything reachable from the output.
    //    `slot` is -1 outside a sweep; -2 marks "on the stack".
    var order: [GraphNode<S>] = []
    var stack: [(GraphNode<S>, Int)] = [(root, 0)]
    root.slot = -2
    while let (node, next) = stack.popLast() {
        if next < node.inputs.count {
            stack.append((node, next + 1))
            if let child = node.inputs[next].node, child.slot == -1 {
                child.slot = -2
                stack.append((child, 0))
            }
        } else {
            node.slot = order.count
            order.append(node)
        }
    }
    defer { for node in order { node.slot = -1 } }

    // 2. Which nodes lead to a requested variable: only those need cotangents.
    var relevant = [Bool](repeating: false, count: order.count)
    var isTarget = [Bool](repeating: false, count: order.count)
    for v in variables { if let n = v.node, n.slot >= 0 { relevant[n.slot] = true; isTarget[n.slot] = true } }
    for (i, node) in order.enumerated() where !relevant[i] {
        for input in node.inputs { if let n = input.node, relevant[n.slot] { relevant[i] = true; break } }
    }

    // 3. Reverse sweep.
    var cotangents = [Variable<S>?](repeating: nil, count: order.count)
    let seedValue = seed ?? Variable(Tensor(repeating: 1, shape: output.shape))
    cotangents[root.slot] = createGraph ? seedValue : seedValue.detached()
    for i in stride(from: order.count - 1, through: 0, by: -1) {
        guard relevant[i], let g = cotangents[i] else { continue }
        let node = order[i]
        let needs = node.inputs.map { input in input.node.map { relevant[$0.slot] } ?? false }
        guard needs.contains(true) else { continue }
        // Without createGraph the rule sees constants, so nothing it computes is recorded.
        let inputs = createGraph ? node.inputs : node.inputs.map { $0.detached() }
        let y = createGraph ? Variable(value: node.value, node: node) : Variable(node.value)
        let grads = pullback(node.primitive, inputs: inputs, output: y, cotangent: g, needs: needs)
        for (j, input) in node.inputs.enumerated() {
            guard needs[j], let inputNode = input.node, let d = grads[j] else { continue }
            let slot = inputNode.slot
            cotangents[slot] = cotangents[slot].map { $0 + d } ?? d
        }
        if !isTarget[i] { cotangents[i] = nil }  // free intermediate cotangents early
    }
    return variables.map { v in
        guard let n = v.node, n.slot >= 0, let g = cotangents[n.slot] else { return zeros(v) }
        return g
    }
}

/// The gradient of a scalar function at a point: `f` receives differentiable copies of `x`.
public func valueWithGradient<S: TensorScalar>(at x: [Tensor<S>], createGraph: Bool = false,
                                               of f: ([Variable<S>]) -> Variable<S>) -> (value: Variable<S>, gradient: [Variable<S>]) {
    let inputs = x.map { Variable(differentiable: $0) }
    let y = f(inputs)
    return (y, gradients(of: y, withRespectTo: inputs, createGraph: createGraph))
}
