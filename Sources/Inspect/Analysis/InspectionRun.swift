import Decoding
import Foundation
import Tokenizers
import Transformer

/// Everything the pictures need about one prompt, as plain data (arrays, strings, numbers):
/// the attention patterns, the logit lens and the size of the residual stream, per layer.
///
///     let run = try Inspector(model: model, tokenizer: tokenizer).run(prompt: "The capital of France is")
///     let heads = run.pattern(layer: 3)           // [head][query][key]
///     let lens = run.logitLens(top: 3)            // [layer][position][rank]
public struct InspectionRun: Sendable {
    /// The prompt's token ids (BOS included when the model adds one).   [T]
    public let tokens: [Int]
    /// Each token's text, for axis labels (`<|im_start|>`, `" Paris"`).   [T]
    public let tokenLabels: [String]
    /// L: transformer blocks.
    public let layerCount: Int
    /// h: query heads per block (each has its own pattern).
    public let headCount: Int
    /// h_kv: key/value heads per block.
    public let kvHeadCount: Int
    /// patterns[layer][head][query][key]: softmax(q·k/√d_head) with the causal mask.   [L][h][T][T]
    let patterns: [[[[Float]]]]
    /// lens[layer][position]: the `lensDepth` most likely tokens read from that block's resid_post.
    let lens: [[[TokenGuess]]]
    /// norms[i][position]: ‖x‖₂ of the residual stream entering block i (i = L: leaving the last).
    let norms: [[Float]]
    /// The model's own next-token guesses at every position (the logits' top tokens).   [T][lensDepth]
    public let predictions: [[TokenGuess]]
    /// How many tokens `logitLens(top:)` can give per cell.
    public let lensDepth: Int

    /// A run from data computed elsewhere (tests of the pictures build small ones by hand).
    /// - Parameters:
    ///   - patterns: [layer][head][query][key]
    ///   - lens: [layer][position][rank], at least one guess per cell
    ///   - norms: [layer + 1][position]
    ///   - predictions: [position][rank]
    public init(tokens: [Int], tokenLabels: [String], layerCount: Int, headCount: Int, kvHeadCount: Int,
                patterns: [[[[Float]]]], lens: [[[TokenGuess]]], norms: [[Float]], predictions: [[TokenGuess]]) {
        self.tokens = tokens
        self.tokenLabels = tokenLabels
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.patterns = patterns
        self.lens = lens
        self.norms = norms
        self.predictions = predictions
        lensDepth = lens.first?.first?.count ?? 0
    }

    /// T: positions.
    public var positionCount: Int { tokens.count }

    /// The attention pattern of every head of `layer`: row q is how much query q attends to each
    /// key (sums to 1; 0 for keys after q).   -> [head][query][key], [h][T][T]
    public func pattern(layer: Int) -> [[[Float]]] {
        patterns[layer]
    }

    /// The logit lens: at each layer and position, the `top` most likely next tokens read from
    /// the residual stream leaving that layer (at most `lensDepth`).
    /// -> [layer][position][rank], [L][T][top]
    public func logitLens(top: Int) -> [[[TokenGuess]]] {
        lens.map { layer in layer.map { Array($0.prefix(top)) } }
    }

    /// ‖x‖₂ of the residual stream at every position: row 0 enters block 0 (the embeddings),
    /// row i + 1 leaves block i.   -> [L + 1][T]
    public func residualNorms() -> [[Float]] { norms }
}

/// Runs prompts through a model with the hooks the pictures need, and packs the results as an
/// `InspectionRun`.
public struct Inspector {
    public let model: Model
    public let tokenizer: Tokenizer

    public init(model: Model, tokenizer: Tokenizer) {
        self.model = model
        self.tokenizer = tokenizer
    }

    /// Tokenizes `prompt` (BOS as the model file says, special tokens parsed) and inspects it.
    public func run(prompt: String, lensDepth: Int = 5) throws -> InspectionRun {
        try run(tokens: tokenizer.promptTokens(prompt, parseSpecial: true), lensDepth: lensDepth)
    }

    /// Runs `prompt` with a cache restricted to `filter` and the given patches, in a fresh session.
    ///   -> logits [T, V] and the cached activations
    public func run(prompt: String, cache filter: HookFilter?, patches: [Patch] = []) throws -> HookedRunResult {
        let tokens = try tokenizer.promptTokens(prompt, parseSpecial: true)
        let session = try InferenceSession(model: model, contextLength: tokens.count, batchSize: tokens.count)
        return try session.run(tokens, cache: filter, patches: patches)
    }

    /// Runs `tokens` in one forward pass, caching the patterns and residual streams.
    public func run(tokens: [Int], lensDepth: Int = 5) throws -> InspectionRun {
        let c = model.configuration
        let L = c.blockCount
        let session = try InferenceSession(model: model, contextLength: max(tokens.count, 1), batchSize: max(tokens.count, 1))
        let filter = HookFilter(["blocks.*.attn.hook_pattern", "hook_embed", "blocks.*.hook_resid_post"])
        let result = try session.run(tokens, cache: filter)
        let cache = result.cache
        let residuals = [cache[.embed]!] + (0 ..< L).map { cache[.residPost($0)]! }
        let lensModel = LogitLens(model: model)
        let V = c.vocabularySize
        let lens = residuals.dropFirst().map { x in
            LogitLens.top(lensDepth, logits: lensModel.logits(residual: x.values), vocabulary: V, tokenizer: tokenizer)
        }
        let norms = residuals.map { x in
            (0 ..< x.shape[0]).map { t in
                let row = x.row(t)
                return row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            }
        }
        return InspectionRun(
            tokens: tokens, tokenLabels: tokens.map { tokenizer.piece($0) }, layerCount: L,
            headCount: c.headCount, kvHeadCount: c.kvHeadCount,
            patterns: (0 ..< L).map { attentionMaps(cache[.pattern($0)]!) },
            lens: lens, norms: norms,
            predictions: LogitLens.top(lensDepth, logits: result.logits, vocabulary: V, tokenizer: tokenizer))
    }
}

/// A `[h, T, P]` activation as nested arrays.   -> [head][query][key]
func attentionMaps(_ a: CachedActivation) -> [[[Float]]] {
    let (h, T, P) = (a.shape[0], a.shape[1], a.shape[2])
    return (0 ..< h).map { head in
        (0 ..< T).map { q in Array(a.values[(head * T + q) * P ..< (head * T + q + 1) * P]) }
    }
}
