import Testing
import MetaRuntime

@Suite struct ShardPlannerTests {
    @Test func shardsCoverEveryTaskOnceInOrder() {
        for workers in 1...6 {
            for tasks in [1, 5, 16, 25, 32] {
                let shards = ShardPlanner.plan(taskCount: tasks, speeds: (0..<workers).map { Double($0 % 3 + 1) })
                #expect(shards.count == workers)
                #expect(shards.flatMap { Array($0) } == Array(0..<tasks))
            }
        }
    }

    @Test func blockShardsStartAndEndAtBlockBoundaries() {
        for workers in 1...5 {
            for tasks in [1, 5, 16, 25, 32] {
                let shards = ShardPlanner.plan(taskCount: tasks, speeds: Array(repeating: 1, count: workers), blockSize: 4)
                #expect(shards.flatMap { Array($0) } == Array(0..<tasks))
                for s in shards where !s.isEmpty {
                    #expect(s.lowerBound % 4 == 0)
                    #expect(s.upperBound % 4 == 0 || s.upperBound == tasks)
                }
            }
        }
        #expect(ShardPlanner.plan(taskCount: 32, speeds: [1, 1, 1], blockSize: 4).map(\.count) == [12, 12, 8])
    }

    @Test func fasterWorkersGetProportionallyMoreTasks() {
        let shards = ShardPlanner.plan(taskCount: 32, speeds: [100, 300])
        #expect(shards.map(\.count) == [8, 24])
    }

    @Test func unknownSpeedsCountAsTheMeanAndEveryWorkerGetsATask() {
        #expect(ShardPlanner.plan(taskCount: 25, speeds: [0, 0, 0]).map(\.count) == [9, 8, 8])
        #expect(ShardPlanner.plan(taskCount: 4, speeds: [1000, 1, 1, 1]).map(\.count).allSatisfy { $0 >= 1 })
        #expect(ShardPlanner.plan(taskCount: 2, speeds: [1, 1, 1]).map(\.count).reduce(0, +) == 2)
    }
}
