import Grammar
import Tokenizers

/// Removes every candidate whose bytes cannot continue the grammar (the "grammar" stage, before
/// the samplers that cut and draw): what is left is the model's distribution restricted to the
/// tokens the grammar allows, renormalized by whatever softmax comes next. End-of-generation
/// tokens stay only where the grammar may stop. The chosen token is then fed to the grammar.
///
/// Checking all 49 152 tokens of a vocabulary at every step is what makes grammar sampling slow,
/// so by default the stage is lazy, and still exact: when the next stage keeps the `limit` most
/// likely tokens (top-k, or greedy's 1), the stage walks the candidates by decreasing logit and
/// stops once `limit` of them are allowed: those are exactly the top-k of the masked list. When
/// the most likely candidates are mostly refused it masks the whole vocabulary through a byte
/// trie, where every shared prefix is checked once and a refused prefix drops its whole subtree.
public final class GrammarStage: Sampler {
    public let matcher: GrammarMatcher
    public let vocabulary: GrammarVocabulary
    /// How many allowed candidates suffice (the next stage keeps that many); nil: mask them all.
    public let limit: Int?
    private var tokenBytes: [[UInt8]] { vocabulary.tokenBytes }
    private var endOfGeneration: Set<Int> { vocabulary.endOfGeneration }
    /// Set when a prompt token arrives: the next generated token starts a new sentence.
    private var restart = false
    /// The last apply's figures, for displays: candidates removed and the probability they had.
    public private(set) var removedCount = 0

    /// `vocabulary` can be shared by the stages of one tokenizer (its trie is built once).
    public init(grammar: Grammar, vocabulary: GrammarVocabulary, limit: Int? = nil) {
        matcher = GrammarMatcher(grammar)
        self.vocabulary = vocabulary
        self.limit = limit
    }

    public convenience init(grammar: Grammar, tokenizer: Tokenizer, limit: Int? = nil) {
        self.init(grammar: grammar, vocabulary: GrammarVocabulary(tokenizer), limit: limit)
    }

    public var name: String { "grammar" }

    /// Whether token `id` may come next.
    public func allows(_ id: Int) -> Bool {
        if endOfGeneration.contains(id) { return matcher.canEnd }
        let bytes = tokenBytes[id]
        return !bytes.isEmpty && matcher.allows(bytes)
    }

    public func apply(_ candidates: inout Candidates) {
        if restart { matcher.reset(); restart = false }
        let before = candidates.tokens.count
        defer { removedCount = before - candidates.tokens.count }
        if let limit, limit > 0, candidates.tokens.count > 4 * limit {
            // Lazy path: the most likely few hundred, in order of logit.
            var top = candidates
            top.keepTop(min(max(256, 4 * limit), candidates.tokens.count))
            var kept: [TokenCandidate] = []
            for t in top.tokens where allows(t.id) {
                kept.append(t)
                if kept.count == limit { break }
            }
            if kept.count == limit {
                candidates.tokens = kept
                candidates.sorted = true
                candidates.selected = nil
                return
            }
        }
        var mask = Array(repeating: false, count: tokenBytes.count)
        vocabulary.trie.allowed(by: matcher, into: &mask)
        let canEnd = matcher.canEnd
        for id in endOfGeneration where id < mask.count { mask[id] = canEnd }
        let allowed = candidates.tokens.filter { mask[$0.id] }
        // A grammar no token can continue (a character missing from the vocabulary): stop
        // rather than emit a token it refuses.
        candidates.tokens = allowed.isEmpty ? candidates.tokens.filter { endOfGeneration.contains($0.id) } : allowed
        candidates.selected = nil
    }

    /// A prompt token: the grammar applies to the reply that follows, so it starts over.
    public func accept(_ token: Int) {
        restart = true
    }

    /// A generated token: the grammar moves past its bytes.
    public func acceptGenerated(_ token: Int) {
        if restart { matcher.reset(); restart = false }
        guard !endOfGeneration.contains(token) else { return }
        matcher.accept(bytes: tokenBytes[token])
    }

    public func reset() {
        matcher.reset()
        restart = false
    }
}

/// A tokenizer's vocabulary as the grammar stage needs it: each token's bytes, the end-of-generation
/// tokens, and the byte trie (about 70 000 nodes for SmolLM2's 49 152 tokens, built once here:
/// share one vocabulary between the requests of a server).
public final class GrammarVocabulary: Sendable {
    /// The text of every token (empty for control tokens, which a grammar never allows).
    public let tokenBytes: [[UInt8]]
    public let endOfGeneration: Set<Int>
    public let trie: TokenTrie

    public init(_ tokenizer: Tokenizer) {
        tokenBytes = (0 ..< tokenizer.vocabularySize).map { tokenizer.pieceBytes($0, special: false) }
        endOfGeneration = Set((0 ..< tokenizer.vocabularySize).filter(tokenizer.isEndOfGeneration))
        trie = TokenTrie(tokens: tokenBytes)
    }
}
