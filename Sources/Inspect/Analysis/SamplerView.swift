import Decoding
import Grammar
import Tokenizers

/// The next-token distribution before and after each sampler of a chain, in the order of
/// `loupe generate`'s chain (llama.cpp's: repeat-penalty → grammar → top-k → top-p → min-p →
/// temperature), so a student sees how each one reshapes it. A sampler that is off is not shown.
public struct SamplerView {
    /// One stage: the sampler's name, how many candidates remain, and the most likely ones
    /// with their probability after it.
    public struct Stage: Sendable {
        public let name: String
        public let remaining: Int
        public let top: [TokenGuess]
        /// Candidates this stage removed, and the probability they had before it (softmax of
        /// the previous stage's logits).
        public var removed = 0
        public var removedMass: Float = 0
        /// The token a selecting stage (greedy, distribution) chose.
        public var selected: TokenGuess? = nil
    }

    public var temperature: Float
    /// ≤ 0: off.
    public var topK: Int
    /// ≥ 1: off.
    public var topP: Float
    /// Keeps the tokens at least `minP` times as likely as the most likely one; ≤ 0: off.
    public var minP: Float = 0
    /// llama.cpp's repetition penalty on the context's last `repeatLastN` tokens; 1: off.
    public var repeatPenalty: Float = 1
    public var repeatLastN = 64
    /// Constrained decoding: the grammar stage, first, with the state of the text sampled so far.
    public var grammar: GrammarStage?

    public init(temperature: Float = 1, topK: Int = 0, topP: Float = 1) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
    }

    /// The samplers that reshape the distribution (before the random draw); the repetition
    /// penalty remembers `context` (the tokens so far), as `generate`'s does.
    func samplers(context: [Int]) -> [any Sampler] {
        var chain: [any Sampler] = []
        if repeatPenalty != 1, repeatLastN != 0 {
            let penalty = RepetitionPenalty(lastN: repeatLastN, repeat: repeatPenalty)
            for token in repeatLastN > 0 ? Array(context.suffix(repeatLastN)) : context { penalty.accept(token) }
            chain.append(penalty)
        }
        if let grammar { chain.append(grammar) }
        if topK > 0 { chain.append(TopK(topK)) }
        if topP < 1 { chain.append(TopP(topP)) }
        if minP > 0 { chain.append(MinP(minP)) }
        if temperature != 1 { chain.append(Temperature(temperature)) }
        return chain
    }

    /// The stages for `logits` ([V]) after `context`, showing `k` tokens each.
    public func stages(_ logits: [Float], context: [Int] = [], k: Int, tokenizer: Tokenizer?) -> [Stage] {
        var stages: [Stage] = []
        var previous: Candidates?
        logits.withUnsafeBufferPointer { buffer in
            _ = SamplerChain(samplers(context: context)).sample(buffer) { name, candidates in
                let top = candidates.top(k).map {
                    TokenGuess(id: $0.id, piece: tokenizer?.piece($0.id) ?? "#\($0.id)", probability: $0.probability)
                }
                var stage = Stage(name: name == "logits" ? "softmax(logits)" : name,
                                  remaining: candidates.tokens.count, top: top)
                if var before = previous {
                    // The mass a stage took away: the previous distribution's share of the tokens it dropped.
                    before.softmax()
                    let kept = Set(candidates.tokens.map(\.id))
                    stage.removed = before.tokens.count - kept.count
                    stage.removedMass = before.tokens.reduce(0) { kept.contains($1.id) ? $0 : $0 + $1.probability }
                }
                previous = candidates
                stages.append(stage)
            }
        }
        return stages
    }

    /// The stages of any sampler chain (`SamplingParameters.makeChain()`, the one `generate` uses),
    /// with `k` tokens each, as the chain's observer sees them; and the token it selects.
    public static func stages(of chain: SamplerChain, logits: UnsafeBufferPointer<Float>, k: Int,
                              tokenizer: Tokenizer?) -> (stages: [Stage], selected: Int) {
        var stages: [Stage] = []
        let id = chain.sample(logits) { name, candidates in stages.append(stage(name, candidates, k: k, tokenizer: tokenizer)) }
        return (stages, id)
    }

    /// One observed stage: its `k` most likely candidates, and the selected one if any.
    public static func stage(_ name: String, _ candidates: Candidates, k: Int, tokenizer: Tokenizer?) -> Stage {
        func guess(_ c: TokenCandidate) -> TokenGuess {
            TokenGuess(id: c.id, piece: tokenizer?.piece(c.id) ?? "#\(c.id)", probability: c.probability)
        }
        var stage = Stage(name: name == "logits" ? "softmax(logits)" : name, remaining: candidates.tokens.count,
                          top: candidates.top(k).map(guess))
        if let index = candidates.selected {
            // The probability the draw used: softmax over what was left.
            let id = candidates.tokens[index].id
            stage.selected = stage.top.first { $0.id == id } ?? candidates.top(candidates.tokens.count).first { $0.id == id }.map(guess)
        }
        return stage
    }

    /// Draws a token after `context` with the chain followed by a seeded random draw (greedy
    /// when temperature ≤ 0).
    public func sample(_ logits: [Float], context: [Int] = [], seed: UInt32) -> Int {
        let last: any Sampler = temperature <= 0 ? Greedy() : Distribution(seed: seed)
        let id = logits.withUnsafeBufferPointer { SamplerChain(samplers(context: context) + [last]).sample($0) }
        grammar?.acceptGenerated(id)
        return id
    }
}
