import MetaTelemetry

/// A `metrics.jsonl` record of a periodic validation: the metric after `steps` inner steps,
/// mean and 95% confidence interval over the validation tasks.
struct ValidationRecord: Encodable {
    var kind = "validation"
    var iteration: Int, split: String, metric: String
    /// The inner steps the figure is after (learners that adapt by steps).
    var steps: Int?
    /// The presentation of a class the figure is at (sequence learners).
    var presentation: Int?
    var mean: Double, ci95: Double
}

extension ValidationRecord {
    /// The figure as TensorBoard scalars: `validation/METRIC` (the mean) and `validation/METRIC_ci95`.
    var scalars: [TensorBoardEvent.Scalar] {
        [.init("validation/\(metric)", mean), .init("validation/\(metric)_ci95", ci95)]
    }

    /// The fields of the validation line with `--log-format json`.
    func fields(tasks: Int) -> [String: Any] {
        var out: [String: Any] = ["iteration": iteration, "metric": metric, "mean": mean, "ci95": ci95, "tasks": tasks]
        if let steps { out["steps"] = steps }
        if let presentation { out["presentation"] = presentation }
        return out
    }
}
