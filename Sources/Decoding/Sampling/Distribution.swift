#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Selects a token at random with probability softmax(logit), from a seeded Mersenne Twister
/// drawn exactly as llama.cpp's `dist` sampler does: the same seed gives the same text.
public final class Distribution: Sampler {
    public let seed: UInt32
    private var random: MersenneTwister

    public init(seed: UInt32) {
        self.seed = seed
        random = MersenneTwister(seed: seed)
    }

    public var name: String { "distribution (seed \(seed))" }

    public func reset() {
        random = MersenneTwister(seed: seed)
    }

    public func apply(_ candidates: inout Candidates) {
        guard !candidates.tokens.isEmpty else { return }
        candidates.selected = 0
        if candidates.tokens.count == 1 {
            _ = random.nextUnitDouble()   // keep the random stream aligned with llama.cpp
            candidates.tokens[0].probability = 1
            return
        }
        let maxLogit = candidates.tokens.lazy.map(\.logit).max()!
        var total: Double = 0
        for i in candidates.tokens.indices {
            let p = expf(candidates.tokens[i].logit - maxLogit)
            candidates.tokens[i].probability = p
            total += Double(p)
        }
        // Walk the cumulative sum to the point u · total, u uniform in [0, 1).
        let target = total * random.nextUnitDouble()
        var running: Double = 0
        var found = false
        for i in candidates.tokens.indices {
            if !found {
                running += Double(candidates.tokens[i].probability)
                if running >= target {
                    candidates.selected = i
                    found = true
                }
            }
            candidates.tokens[i].probability = Float(Double(candidates.tokens[i].probability) / total)
        }
        if !found { candidates.selected = candidates.tokens.count - 1 }
    }
}
