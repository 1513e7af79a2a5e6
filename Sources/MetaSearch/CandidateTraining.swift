import Foundation
import MetaAlgorithms

/// A candidate's fitness: a short meta-training of its configuration
/// (``SearchConfiguration/candidateConfiguration(index:genome:)``) in this process with the
/// single-process trainer (``MetaTrainer``), then the evaluation protocol on the fixed
/// validation tasks (the base's evaluation seed, as the training loop's periodic validation
/// draws them; never the test split).
///
/// A pure function of (search configuration, candidate index, genome) but for the recorded wall
/// time: what a cluster worker runs for one work item. The fitness is the mean accuracy after
/// the evaluation's last step (the final evaluation's headline figure; the training loop's
/// periodic validation reports the step after the configured inner steps instead); a candidate
/// whose training diverged (a non-finite accuracy) scores 0.
public enum CandidateTraining {
    /// - Throws: ``SearchError`` when the genome gives no valid configuration; the data set's
    ///   error when it cannot be loaded.
    public static func run(_ search: SearchConfiguration, method: SearchMethod, index: Int, genome: Genome) throws -> CandidateRecord {
        let clock = ContinuousClock()
        let start = clock.now
        let config = try search.candidateConfiguration(index: index, genome: genome)
        let trainer = try MetaTrainer<Float>(configuration: config)
        var state = trainer.initialState()
        while state.iteration < config.iterations { state = trainer.step(state).0 }
        let report = trainer.evaluate(state.parameters, split: .validation, tasks: config.validationTasks)
        let mean = report.steps.last?.mean ?? 0, ci95 = report.steps.last?.ci95 ?? 0
        let finite = mean.isFinite && ci95.isFinite
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return CandidateRecord(method: method, index: index, genome: genome, fitness: finite ? mean : 0, ci95: finite ? ci95 : 0,
                               parameters: state.parameters.scalarCount, seconds: seconds)
    }
}
