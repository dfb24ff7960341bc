import Foundation

/// What llama.cpp's eval-callback prints about a tensor: shape, range, mean, spread and the
/// first and last values.
public struct TensorSummary: Sendable, Equatable {
    public let shape: [Int]
    public let min: Float
    public let max: Float
    public let mean: Double
    public let std: Double
    /// −∞ entries (masked scores), left out of the statistics.
    public let maskedCount: Int
    public let first: [Float]
    public let last: [Float]

    /// Summarizes `values` of `shape`, showing `edge` values at each end.
    public init(_ values: [Float], shape: [Int], edge: Int = 4) {
        self.shape = shape
        let finite = values.filter(\.isFinite)
        maskedCount = values.count - finite.count
        min = finite.min() ?? .nan
        max = finite.max() ?? .nan
        let n = Double(Swift.max(finite.count, 1))
        mean = finite.reduce(0.0) { $0 + Double($1) } / n
        let m = mean
        std = (finite.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / n).squareRoot()
        first = Array(values.prefix(edge))
        last = values.count > edge ? Array(values.suffix(edge)) : []
    }

    /// Two lines: `[6, 576]  min -3.2  max 4.1  mean 0.01  std 0.9` and the values.
    public var text: String {
        var line = "[\(shape.map(String.init).joined(separator: ", "))]  min \(format(min))  max \(format(max))"
            + "  mean \(format(Float(mean)))  std \(format(Float(std)))"
        if maskedCount > 0 { line += "  (\(maskedCount) masked: −∞)" }
        let values = "  values: [" + first.map(format).joined(separator: ", ")
            + (last.isEmpty ? "" : ", …, " + last.map(format).joined(separator: ", ")) + "]"
        return line + "\n" + values
    }
}

/// A float with 4 significant digits (`-0.01234`, `1.235e+04`, `-inf`).
func format(_ x: Float) -> String {
    if x.isInfinite { return x < 0 ? "-inf" : "inf" }
    return String(format: "%.4g", Double(x))
}
