import Foundation
import MetaTensor
import MetaAutodiff
import MetaNN
import MetaRandom

/// Sampling episodes of ``NavigationEnvironment`` with a ``GaussianPolicy``.
///
/// Trajectory `t` of a batch draws its action noise from its own stream
/// (seed, iteration, task, purpose "navigation-rollout <phase>/<t>"), two standard normals per
/// step, so an episode is a pure function of (seed, iteration, task, phase, trajectory) and of
/// the policy's parameters. `phase` tells the samplings of one task apart: 0 for the
/// parameters before adaptation, k after k adaptation steps. The policy is evaluated on all
/// trajectories of the batch at once (finished episodes keep their last position), so the
/// means' bits never depend on which episodes have ended.
public enum Rollouts {
    /// The stream of trajectory `trajectory` of sampling `phase`.
    public static func stream(seed: UInt64, iteration: UInt64, task: UInt32, phase: Int, trajectory: Int) -> RandomStream {
        RandomStream(seed: seed, iteration: iteration, task: task,
                     purpose: RandomPurpose("navigation-rollout \(phase)/\(trajectory)"))
    }

    /// `trajectories` episodes of `environment` under the policy `parameters`.
    public static func sample<S: TensorScalar>(environment: NavigationEnvironment, model: any Model,
                                               parameters: Parameters<Tensor<S>>, trajectories: Int,
                                               seed: UInt64, iteration: UInt64, task: UInt32, phase: Int) -> [Path] {
        let std = parameters[GaussianPolicy.logStdName].scalars.map { Foundation.exp(Double($0)) }
        var streams = (0..<trajectories).map { stream(seed: seed, iteration: iteration, task: task, phase: phase, trajectory: $0) }
        var positions = [(x: Double, y: Double)](repeating: NavigationEnvironment.start, count: trajectories)
        var done = [Bool](repeating: false, count: trajectories)
        var paths = [Path](repeating: Path(observations: [], actions: [], rewards: []), count: trajectories)
        let constants = parameters.map { Variable($0) }
        for _ in 0..<environment.horizon {
            if !done.contains(false) { break }
            let observations = Tensor<S>(shape: [trajectories, 2]) { p, _ in
                for (i, q) in positions.enumerated() { p[2 * i] = S(q.x); p[2 * i + 1] = S(q.y) }
            }
            let means = model.apply(constants, Variable(observations)).value.scalars
            for i in 0..<trajectories where !done[i] {
                let a0 = Double(means[2 * i]) + std[0] * streams[i].normal()
                let a1 = Double(means[2 * i + 1]) + std[1] * streams[i].normal()
                let (next, reward, finished) = environment.step(from: positions[i], action: (a0, a1))
                paths[i].observations += [positions[i].x, positions[i].y]
                paths[i].actions += [a0, a1]
                paths[i].rewards.append(reward)
                positions[i] = next
                done[i] = finished
            }
        }
        return paths
    }

    /// The mean undiscounted return of `paths`.
    public static func averageReturn(_ paths: [Path]) -> Double {
        paths.isEmpty ? 0 : paths.map(\.totalReward).reduce(0, +) / Double(paths.count)
    }
}
