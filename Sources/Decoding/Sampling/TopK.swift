/// Keeps the k most likely tokens (k ≤ 0: keeps all, as llama.cpp).
public final class TopK: Sampler {
    public let k: Int

    public init(_ k: Int) {
        self.k = k
    }

    public var name: String { "top-k \(k)" }

    public func apply(_ candidates: inout Candidates) {
        guard k > 0 else { return }
        candidates.keepTop(min(k, candidates.tokens.count))
    }
}
