/// Selects the token with the highest logit (the first one on ties).
public final class Greedy: Sampler {
    public init() {}

    public var name: String { "greedy" }

    public func apply(_ candidates: inout Candidates) {
        guard !candidates.tokens.isEmpty else { return }
        var best = 0
        for i in candidates.tokens.indices.dropFirst() where candidates.tokens[i].logit > candidates.tokens[best].logit {
            best = i
        }
        candidates.selected = best
    }
}
