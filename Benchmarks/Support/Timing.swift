import Foundation

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
