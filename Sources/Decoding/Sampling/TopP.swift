/// Nucleus sampling: keeps the most likely tokens until their probabilities add up to p
/// (at least `minKeep`). p ≥ 1 keeps all; p = 0 keeps only the most likely token.
public final class TopP: Sampler {
    public let p: Float
    public let minKeep: Int

    public init(_ p: Float, minKeep: Int = 0) {
        self.p = p
        self.minKeep = minKeep
    }

    public var name: String { "top-p \(p)" }

    public func apply(_ candidates: inout Candidates) {
        guard p < 1, !candidates.tokens.isEmpty else { return }
        candidates.softmax()
        candidates.sortDescending()
        var sum: Float = 0
        var keep = candidates.tokens.count
        for (i, t) in candidates.tokens.enumerated() {
            sum += t.probability
            if sum >= p && i + 1 >= minKeep {
                keep = i + 1
                break
            }
        }
        candidates.tokens.removeLast(candidates.tokens.count - keep)
    }
}
