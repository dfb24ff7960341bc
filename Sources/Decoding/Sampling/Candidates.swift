#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One token the sampler chain may still choose, with its (possibly modified) logit and, once
/// a softmax has run, its probability.
public struct TokenCandidate: Sendable, Equatable {
    public var id: Int
    public var logit: Float
    public var probability: Float

    public init(id: Int, logit: Float, probability: Float = 0) {
        self.id = id
        self.logit = logit
        self.probability = probability
    }
}

/// The tokens still in the running, as llama.cpp's `llama_token_data_array`: samplers reorder,
/// rescale and cut this list; the last one selects a token.
public struct Candidates: Sendable {
    /// The candidates; a sampler may shorten the list.
    public var tokens: [TokenCandidate]
    /// True when `tokens` is in descending order of logit.
    public var sorted: Bool
    /// Index in `tokens` of the chosen token, once a selecting sampler (greedy, distribution) ran.
    public var selected: Int?

    /// Every token of the vocabulary with its logit, in id order.   logits: [V]
    public init(logits: UnsafeBufferPointer<Float>) {
        tokens = []
        sorted = false
        reset(logits: logits)
    }

    public init(_ tokens: [TokenCandidate], sorted: Bool = false) {
        self.tokens = tokens
        self.sorted = sorted
    }

    /// Refills with a new distribution, reusing the storage (no allocation per token).
    public mutating func reset(logits: UnsafeBufferPointer<Float>) {
        // Written in place (an append per token was a tenth of a server step's time).
        if tokens.count != logits.count {
            tokens = Array(repeating: TokenCandidate(id: 0, logit: 0), count: logits.count)
        }
        tokens.withUnsafeMutableBufferPointer { t in
            for id in 0 ..< logits.count { t[id] = TokenCandidate(id: id, logit: logits[id]) }
        }
        sorted = false
        selected = nil
    }

    /// The chosen token id, if a selecting sampler ran.
    public var selectedID: Int? { selected.map { tokens[$0].id } }

    /// Sorts by descending logit (stable for ties: lower id first).
    public mutating func sortDescending() {
        guard !sorted else { return }
        tokens.sort { $0.logit > $1.logit || ($0.logit == $1.logit && $0.id < $1.id) }
        sorted = true
    }

    /// Keeps the `k` highest logits, sorted (a partial sort: one pass plus a small insertion list).
    public mutating func keepTop(_ k: Int) {
        guard k < tokens.count else { sortDescending(); return }
        guard !sorted else { tokens.removeLast(tokens.count - k); return }
        var best: [TokenCandidate] = []
        best.reserveCapacity(k + 1)
        for t in tokens {
            if best.count == k, let last = best.last, !(t.logit > last.logit) { continue }
            var i = best.count
            while i > 0, t.logit > best[i - 1].logit { i -= 1 }
            best.insert(t, at: i)
            if best.count > k { best.removeLast() }
        }
        tokens = best
        sorted = true
    }

    /// probability = softmax(logit) over the remaining candidates (llama.cpp's softmax_impl,
    /// without sorting).
    public mutating func softmax() {
        guard let maxLogit = tokens.lazy.map(\.logit).max() else { return }
        var sum: Float = 0
        for i in tokens.indices {
            let p = expf(tokens[i].logit - maxLogit)
            tokens[i].probability = p
            sum += p
        }
        for i in tokens.indices { tokens[i].probability /= sum }
    }

    /// The `n` most likely candidates under softmax of the current logits, for display.
    public func top(_ n: Int) -> [TokenCandidate] {
        var copy = self
        copy.softmax()
        copy.keepTop(min(n, copy.tokens.count))
        return copy.tokens
    }
}
