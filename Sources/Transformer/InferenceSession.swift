import Kernels

/// One conversation with a model: its KV cache, its activation buffers, and optional hooks.
///
/// `evaluate` feeds tokens at the next positions and returns logits. A prompt runs in chunks of
/// up to `batchSize` tokens as matrix-matrix products; a single new token runs as
/// matrix-vector products. Buffers are allocated here, once; no call allocates per token.
///
///     let session = try InferenceSession(model: model, contextLength: 2048)
///     var logits = try session.evaluate(promptIDs)        // [V] of the last prompt token
///     logits = try session.evaluate([nextID])             // [V] of the new token
public final class InferenceSession {
    public let model: Model
    /// Positions the KV cache holds.
    public var contextLength: Int { cache.capacity }
    /// Most tokens one forward pass runs together.
    public let batchSize: Int
    /// Tokens in the cache: the position of the next token.
    public var position: Int { cache.count }
    /// Called at every hook point when set (see `HookPoint`).
    public var hooks: (any ForwardHooks)?
    /// True when the rows of a forward pass are new tokens of different sequences (the batched
    /// decoder's scratch session), not one prompt: each row is then multiplied as a single token
    /// (`Backend.matVecs`), so that it gets the numbers it would get alone.
    var rowsAreIndependentTokens = false

    public let cache: KVCache
    let buffers: Activations
    /// RoPE of each block: the model's, or a local layer's own base; frequency factors chosen
    /// for this session's context length.
    let ropes: [RoPEConfig]

    /// A session whose KV cache holds `contextLength` positions (default: the smaller of the
    /// model's context and 4096).
    public init(model: Model, contextLength: Int? = nil, batchSize: Int = 64) throws(ModelError) {
        let c = model.configuration
        let length = contextLength ?? model.defaultContextLength
        guard length > 0, length <= c.contextLength else {
            throw ModelError(file: model.file.path, kind: .badContextLength(requested: length, model: c.contextLength))
        }
        self.model = model
        self.batchSize = max(1, min(batchSize, length))
        cache = KVCache(blocks: c.blockCount, capacity: length, width: c.kvWidth,
                        windows: (0 ..< c.blockCount).map { c.architecture.window(block: $0) }, batch: self.batchSize)
        buffers = Activations(configuration: c, batch: self.batchSize, contextLength: length)
        ropes = (0 ..< c.blockCount).map { model.rope(block: $0, contextLength: length) }
    }

    /// Forgets every cached token (a new conversation).
    public func reset() { cache.count = 0 }

    /// Forgets the cached tokens from `position` on, keeping the ones before (rewinding).
    public func truncate(to position: Int) {
        cache.count = max(0, min(position, cache.count))
    }

    /// Feeds `tokens` at the next positions and returns the logits of the last one, in place
    /// (overwritten by the next call).   -> [V]
    @discardableResult
    public func evaluate(_ tokens: [Int]) throws(ModelError) -> Logits {
        try checkFits(tokens)
        var start = 0
        while start < tokens.count {
            let end = min(start + batchSize, tokens.count)
            forward(tokens[start ..< end], allLogits: false)
            start = end
        }
        return Logits(owner: buffers, values: buffers.logits.slice(0, model.configuration.vocabularySize).readOnly)
    }

    /// Feeds `tokens` and returns the logits of every one of them, row by row.   -> [T, V]
    public func evaluateAll(_ tokens: [Int]) throws(ModelError) -> [Float] {
        try checkFits(tokens)
        let vocabulary = model.configuration.vocabularySize
        var all: [Float] = []
        all.reserveCapacity(tokens.count * vocabulary)
        var start = 0
        while start < tokens.count {
            let end = min(start + batchSize, tokens.count)
            forward(tokens[start ..< end], allLogits: true)
            all += buffers.logits.prefix((end - start) * vocabulary)
            start = end
        }
        return all
    }

    /// Refuses empty input, unknown token ids and overflowing the cache, before computing.
    private func checkFits(_ tokens: [Int]) throws(ModelError) {
        let path = model.file.path
        guard !tokens.isEmpty else { throw ModelError(file: path, kind: .noTokens) }
        let vocabulary = model.configuration.vocabularySize
        if let bad = tokens.first(where: { $0 < 0 || $0 >= vocabulary }) {
            throw ModelError(file: path, kind: .tokenOutOfRange(token: bad, vocabularySize: vocabulary))
        }
        guard position + tokens.count <= contextLength else {
            throw ModelError(file: path, kind: .contextFull(needed: position + tokens.count, capacity: contextLength))
        }
    }
}
