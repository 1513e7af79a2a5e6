import Testing
import MetaTensor
import MetaNN
import MetaTasks
import MetaAlgorithms

/// The learner seam: one registry that names, builds and checks every learner.
@Suite struct LearnerRegistryTests {
    @Test func everyRegisteredLearnerHasAUniqueNameThatResolvesToItself() {
        let names = Learners.all.map(\.id.rawValue)
        #expect(Set(names).count == names.count)
        #expect(names == ["maml", "reptile", "metasgd", "anil", "protonet", "pretrain", "baseline", "relationnet", "metalstm", "mann",
                          "maml-trpo", "random-policy", "es-maml", "abml"])
        for learner in Learners.all {
            #expect(LearnerID(rawValue: learner.id.rawValue) == learner.id)
            #expect(Learners.named(learner.id.rawValue)?.id == learner.id)
        }
        #expect(LearnerID(rawValue: "relationnet-typo") == nil)
    }

    @Test func aShardIsTheSameBitsAsItsTasksOneByOneForEveryLearner() {
        let model = SineMLP(hidden: [8])
        let tasks: [Task<Float>] = (0..<8).map { SinusoidTasks().task(seed: 3, iteration: 1, index: UInt32($0), split: .train) }
        let inner = InnerLoop(steps: 1, evaluationSteps: 1, learningRate: 0.01)
        for learner in Learners.all where learner.problem(with: Self.sine(learner.id)) == nil {
            let parameters = learner.initialParameters(model: model, seed: 5, as: Float.self)
            let shard = learner.shardResult(model: model, parameters: parameters, tasks: tasks, inner: inner, traced: nil)
            let oneByOne = ShardResult(tasks.map { learner.taskStep(model: model, parameters: parameters, task: $0, inner: inner) })
            #expect(shard.losses == oneByOne.losses, "\(learner.id)")
            #expect(zip(shard.blockSums, oneByOne.blockSums).allSatisfy { ParameterCoding.encode($0) == ParameterCoding.encode($1) },
                    "\(learner.id)")
        }
    }

    @Test func eachLearnerNamesWhatItCannotTrain() {
        var c = Self.sine(.protoNet)
        #expect(PrototypicalNetworksLearner().problem(with: c)?.contains("classification") == true)
        c = Self.sine(.maml)
        c.inner.steps = 0
        for id in [LearnerID.maml, .reptile, .metaSGD, .anil] {
            #expect(id.learner.problem(with: c)?.contains("'inner.steps'") == true, "\(id)")
        }
        #expect(PretrainingLearner().problem(with: c) == nil)
    }

    static func sine(_ id: LearnerID) -> RunConfiguration {
        var c = RunConfiguration.presets["sine-maml"]!
        c.algorithm = id
        return c
    }
}
