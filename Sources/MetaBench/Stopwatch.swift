import Foundation

/// Timing helpers for benchmarks: medians of repeated windows, never a single run.
public enum Stopwatch {
    /// Seconds taken by `body`.
    public static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// The median over `windows` timed windows (after one warm-up) of the time per repetition,
    /// each window running `body` `repetitions` times.
    public static func medianSeconds(windows: Int = 7, repetitions: Int, _ body: () -> Void) -> Double {
        body()
        var samples: [Double] = []
        for _ in 0..<windows {
            samples.append(seconds { for _ in 0..<repetitions { body() } } / Double(repetitions))
        }
        return median(samples)
    }

    /// The median of `xs` (the mean of the middle two for an even count; 0 when empty).
    public static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.isEmpty ? 0 : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
    }

    /// Repetitions so that one window lasts about `target` seconds.
    public static func calibrate(target: Double = 0.05, _ body: () -> Void) -> Int {
        let t = Swift.max(seconds(body), 1e-7)
        return Swift.max(1, Int(target / t))
    }
}
