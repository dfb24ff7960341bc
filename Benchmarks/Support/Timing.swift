import Foundation

/// Seconds per call of `body`: the fastest of several timed groups of calls after one warm-up
/// call, with as many calls as fit in about `budget` seconds (at least one, at most
/// `maxCalls`). The fastest, not the mean: on a shared machine other processes only ever make
/// a run slower, so the minimum is the best estimate of the code's own speed.
func secondsPerCall(budget: Double = 0.15, maxCalls: Int = 10_000, _ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    let first = clock.measure(body).seconds
    let calls = max(1, min(maxCalls, Int(budget / max(first, 1e-9))))
    if calls == 1 { return min(first, clock.measure(body).seconds) }
    // Groups of calls lasting ≥ 20 µs each (so the clock's own cost does not count), as many as
    // the budget allows: the more groups, the likelier one ran with no other process around.
    let perGroup = max(1, Int(20e-6 / max(first, 1e-9)))
    let groups = max(1, calls / perGroup)
    var samples: [Double] = []
    for _ in 0..<groups {
        let t = clock.measure { for _ in 0..<perGroup { body() } }.seconds
        samples.append(t / Double(perGroup))
    }
    return samples.min()!
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}

/// `value` with `digits` decimals, right-aligned in `width` characters.
func formatted(_ value: Double, _ digits: Int = 1, width: Int = 0) -> String {
    let text = value.isFinite ? String(format: "%.\(digits)f", value) : "—"
    return String(repeating: " ", count: max(0, width - text.count)) + text
}

/// A time in the most readable unit.
func formattedTime(_ seconds: Double) -> String {
    if seconds < 1e-6 { return formatted(seconds * 1e9, 0) + " ns" }
    if seconds < 1e-3 { return formatted(seconds * 1e6, 1) + " µs" }
    if seconds < 1 { return formatted(seconds * 1e3, 2) + " ms" }
    return formatted(seconds, 2) + " s"
}
