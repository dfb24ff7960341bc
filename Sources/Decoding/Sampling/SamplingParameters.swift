import Grammar
import Tokenizers

/// The knobs of `loupe generate`, with llama.cpp's defaults, and the chain they make.
public struct SamplingParameters: Sendable, Equatable {
    /// ≤ 0: greedy (llama.cpp keeps only the top token). NaN is refused by `validate`.
    public var temperature: Float = 0.8
    /// ≤ 0: off.
    public var topK: Int = 40
    /// ≥ 1: off; 0 keeps only the most likely token.
    public var topP: Float = 0.95
    /// ≤ 0: off.
    public var minP: Float = 0.05
    /// 1: off.
    public var repeatPenalty: Float = 1
    /// How many recent tokens the repetition penalty looks at (0: off, −1: the whole context).
    public var repeatLastN: Int = 64
    /// Subtracted from a recent token's logit once per occurrence (OpenAI's `frequency_penalty`; 0: off).
    public var frequencyPenalty: Float = 0
    /// Subtracted once from the logit of any recent token (OpenAI's `presence_penalty`; 0: off).
    public var presencePenalty: Float = 0
    public var seed: UInt32 = 0xFFFF_FFFF
    /// Constrained decoding: generated text must follow this grammar (GBNF, or a JSON Schema
    /// turned into one). nil: free text.
    public var grammar: Grammar?

    public init(temperature: Float = 0.8, topK: Int = 40, topP: Float = 0.95, minP: Float = 0.05,
                repeatPenalty: Float = 1, repeatLastN: Int = 64, seed: UInt32? = nil, grammar: Grammar? = nil) {
        self.grammar = grammar
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repeatPenalty = repeatPenalty
        self.repeatLastN = repeatLastN
        self.seed = seed ?? UInt32.random(in: 0 ... UInt32.max - 1)
    }

    /// Refuses values llama.cpp would silently misuse: NaN anywhere, a negative repeat penalty.
    /// Returns a message, or nil when the parameters are usable.
    public func validate() -> String? {
        if temperature.isNaN { return "--temp is NaN; use 0 for greedy decoding or a positive temperature" }
        if topP.isNaN || minP.isNaN { return "--top-p and --min-p must be numbers between 0 and 1" }
        if repeatPenalty.isNaN || repeatPenalty <= 0 {
            return "--repeat-penalty must be positive (1 turns it off), got \(repeatPenalty)"
        }
        return nil
    }

    /// True when decoding is deterministic: the most likely token every step.
    public var isGreedy: Bool { temperature <= 0 }

    /// llama.cpp's default chain: penalties → top-k → top-p → min-p → temperature → distribution;
    /// with temperature ≤ 0, penalties → greedy.
    public func makeChain() -> SamplerChain {
        let penalty = RepetitionPenalty(lastN: repeatLastN, repeat: repeatPenalty,
                                        frequency: frequencyPenalty, presence: presencePenalty)
        if isGreedy { return SamplerChain([penalty, Greedy()]) }
        return SamplerChain([penalty, TopK(topK), TopP(topP), MinP(minP), Temperature(temperature),
                             Distribution(seed: seed)])
    }

    /// The chain for `tokenizer`'s vocabulary: with a grammar, its stage comes right after the
    /// penalties (penalties → grammar → top-k → …), told how many tokens the next stage keeps
    /// so it can stop checking early (see `GrammarStage`).
    public func makeChain(tokenizer: Tokenizer) -> SamplerChain {
        guard grammar != nil else { return makeChain() }
        return makeChain(vocabulary: GrammarVocabulary(tokenizer))
    }

    /// The same, sharing a vocabulary already prepared for the grammar stage.
    public func makeChain(vocabulary: GrammarVocabulary) -> SamplerChain {
        guard let grammar else { return makeChain() }
        let penalty = RepetitionPenalty(lastN: repeatLastN, repeat: repeatPenalty,
                                        frequency: frequencyPenalty, presence: presencePenalty)
        if isGreedy { return SamplerChain([penalty, GrammarStage(grammar: grammar, vocabulary: vocabulary, limit: 1), Greedy()]) }
        let stage = GrammarStage(grammar: grammar, vocabulary: vocabulary, limit: topK > 0 ? topK : nil)
        return SamplerChain([penalty, stage, TopK(topK), TopP(topP), MinP(minP), Temperature(temperature),
                             Distribution(seed: seed)])
    }
}
