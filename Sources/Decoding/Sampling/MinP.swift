#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps the tokens whose probability is at least p times the most likely one's
/// (logit ≥ max logit + ln p). p ≤ 0 keeps all.
public final class MinP: Sampler {
    public let p: Float
    public let minKeep: Int

    public init(_ p: Float, minKeep: Int = 0) {
        self.p = p
        self.minKeep = minKeep
    }

    public var name: String { "min-p \(p)" }

    public func apply(_ candidates: inout Candidates) {
        guard p > 0, let maxLogit = candidates.tokens.lazy.map(\.logit).max() else { return }
        let minLogit = maxLogit + logf(p)
        if candidates.sorted {
            var keep = 1
            while keep < candidates.tokens.count,
                  candidates.tokens[keep].logit >= minLogit || keep < minKeep { keep += 1 }
            candidates.tokens.removeLast(candidates.tokens.count - keep)
        } else {
            let kept = candidates.tokens.filter { $0.logit >= minLogit }
            if !kept.isEmpty, kept.count >= minKeep {
                candidates.tokens = kept
            } else {
                candidates.sortDescending()
                apply(&candidates)
            }
        }
    }
}
