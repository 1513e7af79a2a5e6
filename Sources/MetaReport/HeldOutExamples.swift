/// A few held-out test tasks and what the trained learner predicts on them, for the report's
/// pictures: curves for 1-D regression, image grids for image classification.
///
/// The tasks are the first ones of the evaluation protocol (test split, the configuration's
/// evaluation seed, indices 0, 1, …), and the predictions come from the learner's own
/// evaluation (`Learner.queryOutputs`), so they are the predictions behind the
/// evaluation table. A pure value: ``HeldOutExamples/predict(configuration:parameters:tasks:)``
/// computes it, ``ExamplesSection`` renders it.
public struct HeldOutExamples: Sendable, Equatable {
    /// Points of a curve, in order of x.
    public struct Curve: Sendable, Equatable {
        public var x: [Double]
        public var y: [Double]

        public init(x: [Double], y: [Double]) { self.x = x; self.y = y }
    }

    /// One regression task with a 1-D input.
    public struct RegressionTask: Sendable, Equatable {
        /// The task's index in the evaluation protocol.
        public var index: Int
        /// The task's true function on a grid over the input range.
        public var truth: Curve
        /// The support points the learner adapts on.
        public var support: Curve
        /// The model's predictions on the grid of ``truth`` after step 0 (before adaptation),
        /// 1, …, K.
        public var predictions: [Curve]
        /// A Bayesian learner's posterior draws on the grid after K steps (each draw's network,
        /// without observation noise); empty for other learners.
        public var draws: [Curve]
        /// A Bayesian learner's central 95 % predictive interval on the grid after K steps (the
        /// mixture over the draws with the observation noise, ``PredictiveMixture``).
        public var interval: Interval?

        public init(index: Int, truth: Curve, support: Curve, predictions: [Curve], draws: [Curve] = [], interval: Interval? = nil) {
            self.index = index; self.truth = truth; self.support = support; self.predictions = predictions
            self.draws = draws; self.interval = interval
        }
    }

    /// A band over a grid: its lower and upper ends at each x.
    public struct Interval: Sendable, Equatable {
        public var x: [Double]
        public var lower: [Double]
        public var upper: [Double]

        public init(x: [Double], lower: [Double], upper: [Double]) { self.x = x; self.lower = lower; self.upper = upper }
    }

    /// An 8-bit gray image, row-major, 0 = black, 255 = white.
    public struct Image: Sendable, Equatable {
        public var width: Int
        public var height: Int
        public var pixels: [UInt8]

        public init(width: Int, height: Int, pixels: [UInt8]) {
            self.width = width; self.height = height; self.pixels = pixels
        }
    }

    /// An image and its class within the task (0-based).
    public struct Example: Sendable, Equatable {
        public var image: Image
        public var label: Int
        /// The learner's prediction (queries only).
        public var predicted: Int?

        public init(image: Image, label: Int, predicted: Int? = nil) {
            self.image = image; self.label = label; self.predicted = predicted
        }

        /// Whether the prediction is the label; nil for a support example.
        public var isRight: Bool? { predicted.map { $0 == label } }
    }

    /// One image classification task.
    public struct ClassificationTask: Sendable, Equatable {
        /// The task's index in the evaluation protocol.
        public var index: Int
        public var support: [Example]
        /// Query examples with the prediction after the last evaluation step.
        public var queries: [Example]

        public init(index: Int, support: [Example], queries: [Example]) {
            self.index = index; self.support = support; self.queries = queries
        }
    }

    /// What the pictures show.
    public enum Content: Sendable, Equatable {
        case regression([RegressionTask])
        case classification([ClassificationTask])
        /// Why there are no pictures, as one sentence.
        case unavailable(String)
    }

    /// The learner's name (`algorithm:`).
    public var learner: String
    /// The inner steps K of the predictions (0 for learners without inner steps).
    public var steps: Int
    /// The checkpoint's iteration.
    public var iteration: Int
    public var content: Content

    public init(learner: String, steps: Int, iteration: Int, content: Content) {
        self.learner = learner; self.steps = steps; self.iteration = iteration; self.content = content
    }

    /// No pictures, and why.
    public static func unavailable(_ reason: String) -> HeldOutExamples {
        HeldOutExamples(learner: "", steps: 0, iteration: 0, content: .unavailable(reason))
    }
}
