import Foundation

/// Timing of short kernels on a shared machine.
public enum Stopwatch {
    /// Seconds per call of `body`: the fastest of several timed groups of calls after one
    /// warm-up call, with as many calls as fit in about `budget` seconds (at least one, at most
    /// `maxCalls`). The fastest, not the mean: on a shared machine other processes only ever
    /// make a run slower, so the minimum is the best estimate of the code's own speed.
    public static func secondsPerCall(budget: Double = 0.15, maxCalls: Int = 10_000, _ body: () -> Void) -> Double {
        let first = seconds(body)
        let calls = max(1, min(maxCalls, Int(budget / max(first, 1e-9))))
        if calls == 1 { return min(first, seconds(body)) }
        // Groups of calls lasting ≥ 20 µs each (so the clock's own cost does not count), as many
        // as the budget allows: the more groups, the likelier one ran with no other process around.
        let perGroup = max(1, Int(20e-6 / max(first, 1e-9)))
        let groups = max(1, calls / perGroup)
        var fastest = Double.infinity
        for _ in 0..<groups {
            fastest = min(fastest, seconds { for _ in 0..<perGroup { body() } } / Double(perGroup))
        }
        return fastest
    }

    /// Seconds taken by one call of `body`.
    public static func seconds(_ body: () -> Void) -> Double {
        let elapsed = ContinuousClock().measure(body)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}
