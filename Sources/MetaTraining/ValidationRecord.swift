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
