import Testing
import MetaAlgorithms
import MetaConfig

/// `inner.batch_norm`: the running-statistics mode is read and written back, gives the CNN its
/// running statistics, and is refused, naming the key, where it cannot train.
@Suite struct BatchNormModeConfigTests {
    @Test func runningStatisticsModeRoundTripsAndGivesTheCNNRunningStatistics() throws {
        let c = try ConfigFile.parse("preset: omniglot-5w1s-maml\ninner: {batch_norm: running-statistics}\n")
        #expect(c.batchNorm == .runningStatistics)
        #expect(try ConfigFile.parse(ConfigFile.yaml(c)) == c)
        #expect(c.model.runningStatisticNames.count == 8)
        #expect(RunConfiguration.presets["omniglot-5w1s-maml"]!.model.runningStatisticNames.isEmpty)
    }

    @Test(arguments: [
        ("preset: omniglot-5w1s-reptile\ninner: {batch_norm: running-statistics}\n", "reptile does not keep running statistics"),
        ("preset: sine-maml\ninner: {batch_norm: running-statistics}\n", "needs a CNN with batch norm"),
        ("preset: omniglot-5w1s-maml\nmodel: {architecture: conv-encoder, normalization: none}\ninner: {batch_norm: running-statistics}\n",
         "needs a CNN with batch norm"),
        ("preset: omniglot-5w1s-maml\ninner: {batch_norm: sometimes}\n", "unknown mode 'sometimes'"),
    ])
    func runningStatisticsAreRefusedWhereTheyCannotTrain(_ text: String, _ message: String) {
        let error = #expect(throws: ConfigError.self) { try ConfigFile.parse(text) }
        #expect(error?.description.contains("inner.batch_norm") == true, "\(String(describing: error))")
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
    }
}
