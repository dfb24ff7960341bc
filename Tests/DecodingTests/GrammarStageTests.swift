import Decoding
import Foundation
import Grammar
import Testing
import Tokenizers

/// The grammar stage on SmolLM2's vocabulary: the lazy path keeps exactly what a full mask
/// followed by top-k keeps, and end-of-generation comes only where the grammar may stop.
@Suite struct GrammarStageTests {
    static let smolLM2 = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Weights/SmolLM2-135M-Instruct.Q4_1.gguf").path

    @Test
    func lazyTopKEqualsFullMaskThenTopK() throws {
        let tokenizer = try Tokenizer(path: Self.smolLM2)
        let vocabulary = GrammarVocabulary(tokenizer)
        var random = MersenneTwister(seed: 11)
        for prefix in ["", "{", "{\"nom\": \"Du", "{\"nom\": \"Dupont\"", "{\"a\": [1, 2"] {
            let lazy = GrammarStage(grammar: .anyJSON, vocabulary: vocabulary, limit: 40)
            let full = GrammarStage(grammar: .anyJSON, vocabulary: vocabulary)
            for token in tokenizer.encode(prefix, addBOS: false) {
                lazy.acceptGenerated(token)
                full.acceptGenerated(token)
            }
            let logits = (0 ..< tokenizer.vocabularySize).map { _ in Float(random.nextUnitDouble() * 20) }
            let a = logits.withUnsafeBufferPointer { SamplerChain([lazy, TopK(40), Greedy()]).sample($0) }
            var keptLazy: [Int] = [], keptFull: [Int] = []
            _ = logits.withUnsafeBufferPointer { SamplerChain([lazy, TopK(40)]).sample($0) { name, c in if name == "top-k 40" { keptLazy = c.tokens.map(\.id) } } }
            _ = logits.withUnsafeBufferPointer { SamplerChain([full, TopK(40)]).sample($0) { name, c in if name == "top-k 40" { keptFull = c.tokens.map(\.id) } } }
            #expect(keptLazy == keptFull, "after \(prefix)")
            #expect(keptLazy.first == a)
            let matcher = GrammarMatcher(.anyJSON)
            matcher.accept(bytes: Array(prefix.utf8))
            for id in keptFull { #expect(matcher.allows(tokenizer.pieceBytes(id, special: false)), "after \(prefix): \(id)") }
        }
    }

    @Test
    func endOfGenerationOnlyWhereTheGrammarMayStop() throws {
        let tokenizer = try Tokenizer(path: Self.smolLM2)
        let stage = GrammarStage(grammar: try Grammar(gbnf: #"root ::= "ok" "!"?"#), tokenizer: tokenizer)
        let eog = (0 ..< tokenizer.vocabularySize).filter(tokenizer.isEndOfGeneration)
        var logits = [Float](repeating: 0, count: tokenizer.vocabularySize)
        for id in eog { logits[id] = 10 }
        let first = logits.withUnsafeBufferPointer { SamplerChain([stage, Greedy()]).sample($0) }
        #expect(!eog.contains(first))
        for token in tokenizer.encode("ok", addBOS: false) { stage.acceptGenerated(token) }
        let second = logits.withUnsafeBufferPointer { SamplerChain([stage, Greedy()]).sample($0) }
        #expect(eog.contains(second))
    }
}
