import MetaTensor
import MetaRandom

/// N-way K-shot classification on random binary images of a given shape: the shapes and
/// sparsity of Omniglot (about 20% ink) without the data set. Each class of a task is a random
/// prototype image; its examples flip each pixel of the prototype with probability `noise`, so
/// examples of a class resemble each other and a learner has something to learn. For
/// benchmarks and tests of the machinery.
public struct SyntheticImageTasks: TaskFamily {
    public var ways: Int, shots: Int, queries: Int, channels: Int, size: Int
    public var ink: Double, noise: Double

    public init(ways: Int, shots: Int, queries: Int, channels: Int = 1, size: Int = 28, ink: Double = 0.2, noise: Double = 0.1) {
        self.ways = ways; self.shots = shots; self.queries = queries; self.channels = channels; self.size = size
        self.ink = ink; self.noise = noise
    }

    public func task<S: TensorScalar>(seed: UInt64, iteration: UInt64, index: UInt32, split: TaskSplit, as: S.Type = S.self) -> Task<S> {
        var stream = RandomStream(seed: seed, iteration: iteration, task: index,
                                  purpose: RandomPurpose("synthetic-images-\(split.rawValue)"))
        let pixels = channels * size * size
        let prototypes = (0..<ways).map { _ in (0..<pixels).map { _ in stream.nextUnit() < ink } }
        func images(_ perClass: Int) -> (Tensor<S>, [Int]) {
            let n = ways * perClass
            var values = [S](repeating: 0, count: n * pixels)
            for i in 0..<n {
                let prototype = prototypes[i / perClass]
                for j in 0..<pixels where prototype[j] != (stream.nextUnit() < noise) { values[i * pixels + j] = 1 }
            }
            let labels = (0..<n).map { $0 / perClass }
            return (Tensor(shape: [n, channels, size, size], scalars: values), labels)
        }
        let (sx, sy) = images(shots), (qx, qy) = images(queries)
        return Task(supportInputs: sx, supportTargets: .classification(sy), queryInputs: qx, queryTargets: .classification(qy))
    }
}
