/// Penalizes tokens seen among the last `lastN` accepted ones (llama.cpp's `penalties`):
/// a positive logit is divided by `repeat`, a negative one multiplied (so both become less
/// likely); then `frequency · count + presence` is subtracted.
public final class RepetitionPenalty: Sampler {
    public let lastN: Int
    public let repeatPenalty: Float
    public let frequencyPenalty: Float
    public let presencePenalty: Float
    private var recent: [Int] = []
    private var counts: [Int: Int] = [:]

    public init(lastN: Int = 64, repeat: Float = 1, frequency: Float = 0, presence: Float = 0) {
        self.lastN = lastN
        self.repeatPenalty = `repeat`
        self.frequencyPenalty = frequency
        self.presencePenalty = presence
    }

    public var name: String { "repeat-penalty \(repeatPenalty) (last \(lastN))" }

    /// True when no penalty applies (every factor neutral): the stage changes nothing.
    public var isDisabled: Bool {
        lastN == 0 || (repeatPenalty == 1 && frequencyPenalty == 0 && presencePenalty == 0)
    }

    public func accept(_ token: Int) {
        guard lastN != 0 else { return }
        counts[token, default: 0] += 1
        if lastN > 0, recent.count >= lastN {
            let old = recent.removeFirst()
            counts[old]! -= 1
            if counts[old] == 0 { counts[old] = nil }
        }
        recent.append(token)
    }

    public func reset() {
        recent.removeAll()
        counts.removeAll()
    }

    public func apply(_ candidates: inout Candidates) {
        guard !isDisabled else { return }
        for i in candidates.tokens.indices {
            guard let count = counts[candidates.tokens[i].id] else { continue }
            var logit = candidates.tokens[i].logit
            logit = logit <= 0 ? logit * repeatPenalty : logit / repeatPenalty
            logit -= Float(count) * frequencyPenalty + (count > 0 ? presencePenalty : 0)
            candidates.tokens[i].logit = logit
        }
        candidates.sorted = false
    }
}
