import Testing
import MetaTensor
import MetaNN
import MetaTasks
import MetaAlgorithms

/// ABML learns on ambiguous regression, and the calibration protocol's figures mean what they say.
@Suite struct ABMLLearningTests {
    static func configuration() -> RunConfiguration {
        var c = RunConfiguration.presets["ambiguous-abml"]!
        c.architecture = .sineMLP(hidden: [20, 20])
        c.family = .ambiguous(support: 5, query: 20)
        c.inner.steps = 2
        c.inner.evaluationSteps = 2
        c.inner.samples = 2
        c.metaBatchSize = 8
        c.outerOptimizer = .adam(learningRate: 0.01)
        // One noise per task, Gaussian: the figures below are checked against that.
        c.inner.residualNoise = false
        c.inner.noiseDegreesOfFreedom = nil
        c.inner.leverageNoise = false
        return c
    }

    static func calibration(_ trainer: MetaTrainer<Float>, _ p: Parameters<Tensor<Float>>) -> CalibrationReport {
        let c = trainer.configuration
        return Calibration.run(learner: c.algorithm.learner, model: trainer.model, parameters: p, family: trainer.family,
                               split: .validation, seed: 77, tasks: 30, steps: c.inner.evaluationSteps, inner: c.inner)
    }

    @Test func aShortRunOnAmbiguousTasksLowersTheQueryNLL() throws {
        let trainer = try MetaTrainer<Float>(configuration: Self.configuration())
        var state = trainer.initialState()
        let before = Self.calibration(trainer, state.parameters)
        for _ in 0..<60 { state = trainer.step(state).0 }
        let after = Self.calibration(trainer, state.parameters)
        #expect(after.nll.mean < before.nll.mean - 3 * after.nll.ci95, "NLL \(before.nll.mean) → \(after.nll.mean)")
    }

    /// The report splits the predictive variance into the noise's and the draws' spread, and
    /// breaks the figures down by task kind (sine, line): the kinds partition the tasks, so their
    /// coverages weighted by their task counts are the overall coverage.
    @Test func theReportSplitsThePredictiveVarianceAndBreaksTheFiguresDownByKind() throws {
        var c = Self.configuration()
        c.inner.priorLogSigma = -1
        c.inner.learnedNoise = 0.7    // not 1, whose square is itself
        let trainer = try MetaTrainer<Float>(configuration: c)
        let p = trainer.initialState().parameters
        let report = Self.calibration(trainer, p)
        let sd = ABML.observationNoise(p)
        #expect(abs(report.noiseVariance! - sd * sd) < 1e-9)
        #expect(report.drawVariance! > 0)
        let family = AmbiguousTasks(supportPoints: 5, queryPoints: 20)
        let sines = (0..<30).filter {
            if case .sine = family.function(seed: 77, iteration: 0, index: UInt32($0), split: .validation) { true } else { false }
        }.count
        let kinds = try #require(report.kinds)
        #expect(kinds.map(\.name) == ["sine", "line"] && kinds.map(\.tasks) == [sines, 30 - sines])
        for (k, level) in report.coverage!.enumerated() {
            let pooled = kinds.reduce(0) { $0 + $1.coverage[k].fraction.mean * Double($1.tasks) } / 30
            #expect(abs(pooled - level.fraction.mean) < 1e-12)
        }
        // One draw has no spread.
        c.inner.samples = 1
        let one = Calibration.run(learner: c.algorithm.learner, model: trainer.model, parameters: p, family: trainer.family,
                                  split: .validation, seed: 77, tasks: 30, steps: c.inner.evaluationSteps, inner: c.inner)
        #expect(one.drawVariance == 0)
    }

    /// The report keeps each task's NLL (their mean is the NLL figure), and two models on the
    /// same tasks are compared by the mean of the per-task differences with its 95 % interval.
    @Test func thePairedNLLDifferenceIsTheMeanOfThePerTaskDifferencesWithItsInterval() throws {
        let trainer = try MetaTrainer<Float>(configuration: Self.configuration())
        let report = Self.calibration(trainer, trainer.initialState().parameters)
        let nll = try #require(report.taskNLL)
        #expect(nll.count == 30 && abs(nll.reduce(0, +) / 30 - report.nll.mean) < 1e-12)
        // Differences 0.5, 0.5, 0.5, 1: mean 0.625, standard deviation 0.25, interval 1.96 · 0.25 / 2.
        let d = Calibration.pairedDifference([1, 2, 3, 4], [0.5, 1.5, 2.5, 3])
        #expect(abs(d.mean - 0.625) < 1e-12 && abs(d.ci95 - 0.245) < 1e-12)
        // A constant shift is known exactly however much the tasks differ.
        let shifted = Calibration.pairedDifference(nll.map { $0 + 0.1 }, nll)
        #expect(abs(shifted.mean - 0.1) < 1e-9 && shifted.ci95 < 1e-9 && report.nll.ci95 > 1e-3)
    }

    /// With `inner.noise_dof` the predictive's components are Student-t of the same scale: the
    /// same draws and scale, a wider interval at every level (so at least the same coverage),
    /// and a different NLL.
    @Test func theStudentTNoiseWidensEveryIntervalAtTheSameScale() throws {
        var c = Self.configuration()
        c.inner.residualNoise = true
        let trainer = try MetaTrainer<Float>(configuration: c)
        let p = trainer.initialState().parameters
        let gaussian = Self.calibration(trainer, p)
        c.inner.noiseDegreesOfFreedom = 2
        let t = Calibration.run(learner: c.algorithm.learner, model: trainer.model, parameters: p, family: trainer.family,
                                split: .validation, seed: 77, tasks: 30, steps: c.inner.evaluationSteps, inner: c.inner)
        #expect(t.predictive.contains("Student-t") && !gaussian.predictive.contains("Student-t"))
        for (a, b) in zip(gaussian.coverage!, t.coverage!) { #expect(b.fraction.mean >= a.fraction.mean, "level \(a.level)") }
        #expect(t.coverage![2].fraction.mean > gaussian.coverage![2].fraction.mean)
        #expect(abs(t.nll.mean - gaussian.nll.mean) > 1e-3)
        #expect(t.mse == gaussian.mse)
    }

    @Test func theExpectedCalibrationErrorIsTheGapBetweenConfidenceAndAccuracy() {
        // Confidence 0.9 throughout, 9 of 10 right: calibrated.
        #expect(abs(Calibration.expectedCalibrationError(confidences: Array(repeating: 0.9, count: 10),
                                                         correct: (0..<10).map { $0 < 9 })) < 1e-12)
        // Half at 0.95 with half of them right, half at 0.25 all wrong: (0.5 · 0.45 + 0.5 · 0.25).
        let confidences = Array(repeating: 0.95, count: 4) + Array(repeating: 0.25, count: 4)
        let correct = [true, true, false, false] + Array(repeating: false, count: 4)
        #expect(abs(Calibration.expectedCalibrationError(confidences: confidences, correct: correct) - 0.35) < 1e-12)
    }
}

import Foundation
