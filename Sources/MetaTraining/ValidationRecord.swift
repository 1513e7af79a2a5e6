/// A `metrics.jsonl` record of a periodic validation: the metric after `steps` inner steps,
/// mean and 95% confidence interval over the validation tasks.
struct ValidationRecord: Encodable {
    var kind = "validation"
    var iteration: Int, split: String, metric: String, steps: Int, mean: Double, ci95: Double
}
