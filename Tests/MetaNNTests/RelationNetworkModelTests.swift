import Testing
import MetaTensor
import MetaAutodiff
import MetaRandom
import MetaNN
import MetaTestKit

/// The Relation Network's embedding and relation modules: the paper's sizes, the batched
/// pair construction, and first and second derivatives of both against finite differences.
@Suite struct RelationNetworkModelTests {
    /// A relation network small enough for finite differences over every parameter:
    /// 16×16 inputs, 2 filters (maps 2×4×4, relation 4 → 2 → 1), hidden 3.
    static let tiny = RelationNetworkModel(inChannels: 1, imageSize: 16, filters: 2, hidden: 3)

    /// The initial parameters of `model`, each moved by U(−0.3, 0.3) so that no derivative is
    /// trivially special (zero biases, unit scales).
    static func perturbedParameters(_ model: RelationNetworkModel, seed: UInt64) -> Parameters<Tensor<Double>> {
        var stream = RandomStream(seed: seed, purpose: .testing)
        return model.initialParameters(seed: seed, as: Double.self).map { $0 + stream.uniformTensor($0.shape, low: -0.3, high: 0.3) }
    }

    /// `f(x) = Σ c ⊙ op(x) + ½ Σ d ⊙ op(x)²` with random constants, so the cotangent reaching
    /// the op depends on its inputs and the Hessian is non-zero even for a linear op (as in
    /// the MetaAutodiff tests' helper); checks the gradient (relative error < 1e-6) and the
    /// Hessian-vector product along a random direction (< 1e-5) against central differences.
    static func expectCorrectDerivatives(of op: @escaping GradientCheck.Function, at x: [Tensor<Double>], seed: UInt64,
                                         sourceLocation: SourceLocation = #_sourceLocation) {
        var stream = RandomStream(seed: seed, purpose: .testing)
        let shape = op(x.map { Variable($0) }).shape
        let c = Variable<Double>(stream.uniformTensor(shape, low: -1, high: 1))
        let d = Variable<Double>(stream.uniformTensor(shape, low: -1, high: 1))
        let f: GradientCheck.Function = { v in
            let y = op(v)
            return (c * y).sum() + (d * y.squared()).sum() * 0.5
        }
        let direction = x.map { t -> Tensor<Double> in stream.uniformTensor(t.shape, low: -1, high: 1) }
        let first = GradientCheck.firstOrderError(of: f, at: x)
        let second = GradientCheck.secondOrderError(of: f, at: x, direction: direction)
        #expect(first < 1e-6, "first-order relative error \(first)", sourceLocation: sourceLocation)
        #expect(second < 1e-5, "second-order relative error \(second)", sourceLocation: sourceLocation)
    }

    @Test func omniglotRelationNetworkHas223441Parameters() {
        let p = RelationNetworkModel.omniglot().initialParameters(seed: 0, as: Float.self)
        // Embedding: 64·1·9 + 64, three times 64·64·9 + 64, four batch norms of 2·64 (111,936).
        // Relation: 64·128·9 + 64, 64·64·9 + 64, two batch norms of 2·64, 64·8 + 8, 8 + 1 (111,505).
        #expect(p.scalarCount == 223_441)
        #expect(p["relation.block1.conv.weight"].shape == [64, 128, 3, 3])
        #expect(p["relation.hidden.weight"].shape == [8, 64])
        #expect(p["relation.output.weight"].shape == [1, 8])
    }

    @Test func omniglotEmbeddingGives64By7By7MapsThatTheRelationModulePoolsTo1By1() {
        let model = RelationNetworkModel.omniglot()
        #expect(model.featureSide == 7 && model.relationSide == 1)
        var stream = RandomStream(seed: 3, purpose: .testing)
        let x: Tensor<Float> = stream.uniformTensor([3, 1, 28, 28])
        let maps = model.embed(model.initialParameters(seed: 0, as: Float.self).map { Variable($0) }, Variable(x))
        #expect(maps.shape == [3, 64, 7, 7])
    }

    @Test func authorsCodePaddingGives64By5By5MapsAndTheSameRelationWidth() {
        // floodsung/LearningToCompare_FSL: unpadded pooled blocks, 28 → 26 → 13 → 11 → 5.
        let model = RelationNetworkModel(inChannels: 1, imageSize: 28, pooledBlockPadding: 0)
        #expect(model.featureSide == 5 && model.relationSide == 1)
        #expect(model.initialParameters(seed: 0, as: Float.self).scalarCount == 223_441)
    }

    @Test func pairsConcatenateEachClassMapWithEachQueryMapClassFirst() {
        var stream = RandomStream(seed: 5, purpose: .testing)
        let classes: Tensor<Double> = stream.uniformTensor([3, 2, 2, 2]), queries: Tensor<Double> = stream.uniformTensor([4, 2, 2, 2])
        let pairs = RelationNetworkModel.pairs(classes: Variable(classes), queries: Variable(queries)).value
        #expect(pairs.shape == [12, 4, 2, 2])
        let mapSize = 2 * 2 * 2
        for q in 0..<4 {
            for k in 0..<3 {
                let row = Array(pairs.scalars[(q * 3 + k) * 2 * mapSize ..< (q * 3 + k + 1) * 2 * mapSize])
                let expected = Array(classes.scalars[k * mapSize ..< (k + 1) * mapSize])
                    + Array(queries.scalars[q * mapSize ..< (q + 1) * mapSize])
                #expect(row == expected, "pair (query \(q), class \(k))")
            }
        }
    }

    @Test func pairsHaveCorrectFirstAndSecondDerivatives() {
        var stream = RandomStream(seed: 6, purpose: .testing)
        let classes: Tensor<Double> = stream.uniformTensor([3, 2, 2, 3], low: -1, high: 1)
        let queries: Tensor<Double> = stream.uniformTensor([2, 2, 2, 3], low: -1, high: 1)
        Self.expectCorrectDerivatives(of: { v in RelationNetworkModel.pairs(classes: v[0], queries: v[1]) },
                                      at: [classes, queries], seed: 7)
    }

    /// g over every pair, differentiated with respect to every relation parameter and both sets of maps.
    @Test func relationScoresHaveCorrectFirstAndSecondDerivatives() {
        let model = Self.tiny
        let p = Self.perturbedParameters(model, seed: 8)
        var stream = RandomStream(seed: 9, purpose: .testing)
        let classes: Tensor<Double> = stream.uniformTensor([3, 2, 4, 4], low: -1, high: 1)
        let queries: Tensor<Double> = stream.uniformTensor([2, 2, 4, 4], low: -1, high: 1)
        let f: GradientCheck.Function = { v in
            model.scores(Parameters(layout: p.layout, values: Array(v.prefix(p.count))), classes: v[p.count], queries: v[p.count + 1])
        }
        Self.expectCorrectDerivatives(of: f, at: p.values + [classes, queries], seed: 10)
    }

    /// The whole score, images to (query, class) scores through f, pairs and g.
    @Test func embeddedRelationScoresHaveCorrectFirstAndSecondDerivatives() {
        let model = Self.tiny
        let p = Self.perturbedParameters(model, seed: 11)
        var stream = RandomStream(seed: 12, purpose: .testing)
        let support: Tensor<Double> = stream.uniformTensor([2, 1, 16, 16]), query: Tensor<Double> = stream.uniformTensor([3, 1, 16, 16])
        let f: GradientCheck.Function = { v in
            let q = Parameters(layout: p.layout, values: v)
            return model.scores(q, classes: model.embed(q, Variable(support)), queries: model.embed(q, Variable(query)))
        }
        Self.expectCorrectDerivatives(of: f, at: p.values, seed: 13)
    }

    @Test func relationScoresLieStrictlyBetweenZeroAndOne() {
        let model = Self.tiny
        let p = Self.perturbedParameters(model, seed: 14).map { Variable($0) }
        var stream = RandomStream(seed: 15, purpose: .testing)
        let classes: Tensor<Double> = stream.uniformTensor([5, 2, 4, 4], low: -3, high: 3)
        let queries: Tensor<Double> = stream.uniformTensor([7, 2, 4, 4], low: -3, high: 3)
        let scores = model.scores(p, classes: Variable(classes), queries: Variable(queries)).value
        #expect(scores.shape == [7, 5])
        #expect(scores.scalars.allSatisfy { $0 > 0 && $0 < 1 })
    }
}
