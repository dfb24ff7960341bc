/// Selects the token with the highest logit (the first one on ties).
public final class Greedy: Sampler {
    public init() {}

    public var name: String { "greedy" }

    public func apply(_ candidates: inout Candidates) {
        guard !candidates.tokens.isEmpty else { return }
        candidates.selected = candidates.tokens.withUnsafeBufferPointer { t in
            var best = 0, bestLogit = t[0].logit
            for i in 1 ..< t.count where t[i].logit > bestLogit {
                best = i
                bestLogit = t[i].logit
            }
            return best
        }
    }
}
