import Foundation
import Testing

/// Every learner family through real worker processes: `train --workers N` for N = 1…4 ends
/// with the parameters of `--workers 0`, bit for bit. One short configuration per learner
/// registered after the MAML family (the MAML family itself: ``DistributedTrainingTests``),
/// each on a synthetic family so the test needs no data set.
@Suite(.serialized) struct LearnerDistributionTests {
    static let tail = "iterations: 6\nseed: 5\nvalidation: {interval: 1000, tasks: 2}\n"
        + "outer: {optimizer: adam, learning_rate: 0.001}\n"
    /// The meta-batch of the configurations that set none: one reduction block.
    static let metaBatch = "meta_batch: 4\n"

    static let configurations: [(String, String)] = [
        ("relationnet", "algorithm: relationnet\ntasks: {family: synthetic-images, ways: 3, shots: 1, queries: 2, size: 16}\n"
            + "model: {architecture: relation-network}\ninner: {steps: 0, evaluation_steps: 0, learning_rate: 0}\n"),
        ("metalstm", "algorithm: metalstm\ntasks: {family: synthetic-images, ways: 3, shots: 1, queries: 2, size: 16}\n"
            + "model: {architecture: maxpool-cnn, filters: 8}\ninner: {steps: 3, evaluation_steps: 3, learning_rate: 0}\n"),
        ("mann", "algorithm: mann\ntasks: {family: synthetic-sequences, ways: 3, shots: 4, size: 4}\n"
            + "model: {architecture: mann, units: 16}\ninner: {steps: 0, evaluation_steps: 0, learning_rate: 0}\n"),
        ("mann-lstm", "algorithm: mann\ntasks: {family: synthetic-sequences, ways: 3, shots: 4, size: 4}\n"
            + "model: {architecture: lstm, units: 16}\ninner: {steps: 0, evaluation_steps: 0, learning_rate: 0}\n"),
        // Rounds of fitnesses (two scalars per perturbation pair) instead of meta-gradients.
        ("es-maml", "algorithm: es-maml\ntasks: {family: sinusoid, shots: 10, queries: 10}\n"
            + "model: {architecture: sine-mlp, hidden: [40, 40]}\ninner: {steps: 1, evaluation_steps: 1, learning_rate: 0.01}\n"
            + "es: {sigma: 0.02}\n"),
        // Two rounds per iteration: fitnesses, then the workers' block sums of weighted
        // perturbations with the weights as the round's payload.
        ("es-maml-workers", "algorithm: es-maml\ntasks: {family: sinusoid, shots: 10, queries: 10}\n"
            + "model: {architecture: sine-mlp, hidden: [40, 40]}\ninner: {steps: 1, evaluation_steps: 1, learning_rate: 0.01}\n"
            + "es: {sigma: 0.02, reduce: workers}\n"),
        // Rounds of a TRPO step: the surrogate's gradient, conjugate-gradient Fisher products
        // (payload: the direction) and line-search candidates (payload: θ′), each task answering
        // a vector of scalars.
        ("maml-trpo", "algorithm: maml-trpo\ntasks: {family: navigation, horizon: 10, episodes: 4}\n"
            + "model: {architecture: policy-mlp, hidden: [16, 16]}\ninner: {steps: 1, evaluation_steps: 1, learning_rate: 0.1}\n"),
        // Fitnesses are returns after a policy-gradient step on rollouts from keyed streams;
        // 10 pairs make three reduction blocks, so workers get shards that start past pair 0.
        ("es-maml-navigation", "algorithm: es-maml\ntasks: {family: navigation, horizon: 5, episodes: 3}\n"
            + "model: {architecture: policy-mlp, hidden: [8, 8]}\ninner: {steps: 1, evaluation_steps: 1, learning_rate: 0.1}\n"
            + "es: {sigma: 0.05}\nmeta_batch: 10\n"),
        ("abml", "algorithm: abml\ntasks: {family: ambiguous, shots: 5, queries: 10}\n"
            + "model: {architecture: sine-mlp, hidden: [16, 16]}\n"
            + "inner: {steps: 2, evaluation_steps: 2, learning_rate: 0.01, samples: 3, kl_weight: 1}\n"),
        // The predictive objective with a learned observation noise widened by each task's
        // support residual and each query point's leverage (three more parameters), Student-t.
        ("abml-predictive", "algorithm: abml\ntasks: {family: ambiguous, shots: 5, queries: 10}\n"
            + "model: {architecture: sine-mlp, hidden: [16, 16]}\n"
            + "inner: {steps: 2, evaluation_steps: 2, learning_rate: 0.01, samples: 3, prior_log_sigma: -2, learned_noise: 1, "
            + "objective: predictive, residual_noise: true, leverage_noise: true, noise_dof: 5}\n"),
        ("abml-images", "algorithm: abml\ntasks: {family: synthetic-images, ways: 3, shots: 1, queries: 2, size: 16}\n"
            + "model: {architecture: maxpool-cnn, filters: 8}\ninner: {steps: 1, evaluation_steps: 1, learning_rate: 0.4, samples: 2}\n"),
    ]

    /// The configurations as files, written once.
    static let files: [String: String] = {
        let dir = Cluster.temporaryDirectory("learner-configs")
        var files: [String: String] = [:]
        for (name, yaml) in configurations {
            let url = dir.appendingPathComponent("\(name).yaml")
            try! (yaml + (yaml.contains("meta_batch:") ? "" : metaBatch) + tail).write(to: url, atomically: true, encoding: .utf8)
            files[name] = url.path
        }
        return files
    }()

    @Test(arguments: configurations.map(\.0))
    func finalParametersAreBitIdenticalForZeroToFourWorkers(_ name: String) throws {
        let job = ["--config", Self.files[name]!, "--eval-tasks", "2"]
        let reference = try Cluster.reference(job)
        for workers in 1...4 {
            let dir = Cluster.temporaryDirectory("\(name)-workers-\(workers)")
            defer { try? FileManager.default.removeItem(at: dir) }
            let run = try Cluster.run(["train"] + job + ["--workers", "\(workers)", "--run-dir", dir.path], directory: dir, label: "train")
            #expect(run.status == 0, "\(run.log)")
            #expect(try Cluster.finalParameters(dir) == reference, "\(name): \(workers) workers")
        }
    }
}
