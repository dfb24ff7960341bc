import Kernels

/// Continuous batching: one new token for each of several sessions (the server's slots), run
/// through the model together.
///
/// Every matrix product takes the B tokens as one [B, d] activation, so the weights are read
/// once per step for all of them; attention runs per session, on that session's own KV cache at
/// its own position. The products are `Backend.matVecs`, not a prompt's `matMul`: each row gets
/// exactly the numbers of a token decoded alone (batch invariance), whatever B is, so a greedy
/// answer does not depend on which other requests share the step. The steps are those of `forward` and
/// `transformerBlock`, in the same order, calling the same functions:
///
///     x = embed(tokens)                                   [B, d]
///     for each block:
///         qkv = rmsNorm(x) · [W_Q | W_K | W_V]ᵀ            [B, …]   one product for all
///         z_b = attention of session b on its cache       [1, h·d_head] per session, sessions in parallel
///         x += z · W_Oᵀ                                    [B, d]   one product for all
///         x += SwiGLU(rmsNorm(x))                          [B, d]   one product for all
///     logits = rmsNorm(x) · W_Uᵀ                           [B, V]
///
/// The activations of the batch live in a scratch session of `maxBatch` positions (its own KV
/// cache is not used); each session's logits are copied into that session's buffer, so they
/// read as if the session had evaluated its token alone.
public final class BatchedDecoder {
    public let model: Model
    /// Most sessions one step decodes together.
    public let maxBatch: Int
    private let scratch: InferenceSession

    public init(model: Model, maxBatch: Int) throws(ModelError) {
        self.model = model
        let size = max(2, min(maxBatch, model.configuration.contextLength))
        scratch = try InferenceSession(model: model, contextLength: size, batchSize: size)
        scratch.rowsAreIndependentTokens = true
        self.maxBatch = scratch.batchSize
    }

    /// True when these sessions can be decoded together: the same Llama-architecture model as
    /// this decoder, no hooks, room in each cache, and not more of them than `maxBatch`.
    public func canDecode(_ sessions: [InferenceSession]) -> Bool {
        // This step copies `transformerBlock` for the plain Llama block only: the description
        // with every option off, no biases. Other blocks (extra norms, windows, biases) decode
        // one session at a time.
        let c = model.configuration, w = model.weights
        guard c.architecture == .llama(headDimension: c.headDimension, tiedOutput: c.architecture.tiedOutput),
              w.unembeddingBias == nil,
              w.blocks.allSatisfy({ $0.attentionOutputBias == nil && $0.queryKeyValueBias == nil }) else { return false }
        return sessions.count <= maxBatch
            && sessions.allSatisfy { $0.model === model && $0.hooks == nil && $0.position < $0.contextLength }
    }

    /// Feeds `tokens[b]` to `sessions[b]` at its next position and returns each session's logits.
    /// Nil (nothing computed) when `canDecode` is false or a token is out of range.
    public func decode(_ sessions: [InferenceSession], tokens: [Int]) -> [Logits]? {
        let c = model.configuration
        let B = sessions.count
        guard B > 0, B == tokens.count, canDecode(sessions),
              tokens.allSatisfy({ (0 ..< c.vocabularySize).contains($0) }) else { return nil }
        let d = c.embeddingLength
        let buffers = scratch.buffers
        // The scratch session's hook positions: one row per session (it has no hooks).
        let rows = 0 ..< B
        let x = buffers.residual.slice(0, B * d)
        let normalized = buffers.normalized.slice(0, B * d)
        let output = buffers.blockOutput.slice(0, B * d)

        scratch.embed(tokens[...], into: x)
        for i in 0 ..< c.blockCount {
            let w = model.weights.blocks[i]
            // Attention sub-block: projections for all, attention per session.
            scratch.rmsNorm(x, weight: w.attentionNorm, into: normalized, rows,
                            scalePoint: .ln1Scale(i), normalizedPoint: .ln1Normalized(i))
            scratch.qkvProjections(w, normalized, into: buffers.queryKeyValue, count: B)
            let qkv = buffers.queryKeyValue
            // The sessions' attentions are independent (each its own cache and buffers): one
            // per thread at a time, not one after the other on this thread while the others wait.
            model.backend.concurrentForEach(B) { b in
                let session = sessions[b]
                session.attendOneToken(
                    block: i,
                    q: qkv.slice(b * c.queryWidth, c.queryWidth),
                    k: qkv.slice(B * c.queryWidth + b * c.kvWidth, c.kvWidth),
                    v: qkv.slice(B * (c.queryWidth + c.kvWidth) + b * c.kvWidth, c.kvWidth),
                    into: buffers.z.slice(b * c.queryWidth, c.queryWidth))
            }
            scratch.linear(w.attentionOutput, buffers.z, count: B, into: output)
            scratch.residualAdd(output, to: x)

            // MLP sub-block, for all.
            scratch.rmsNorm(x, weight: w.mlpNorm, into: normalized, rows,
                            scalePoint: .ln2Scale(i), normalizedPoint: .ln2Normalized(i))
            scratch.gatedMLP(block: i, normalized, into: output, rows)
            scratch.residualAdd(output, to: x)
        }
        for session in sessions { session.cache.count += 1 }

        scratch.rmsNorm(x, weight: model.weights.outputNorm, into: normalized, rows,
                        scalePoint: .lnFinalScale, normalizedPoint: .lnFinalNormalized)
        scratch.linear(model.weights.unembedding, normalized, count: B, into: buffers.logits)
        let V = c.vocabularySize
        return sessions.enumerated().map { b, session in
            let own = session.buffers.logits.slice(0, V)
            own.baseAddress!.update(from: buffers.logits.baseAddress! + b * V, count: V)
            return Logits(owner: session.buffers, values: own.readOnly)
        }
    }
}

extension InferenceSession {
    /// The attention of one new token at this session's next position, given its projections:
    /// the steps of `attention(block:_:into:_:)` after the projections and before the output
    /// projection, on this session's cache.
    /// q: [h, d_head]  k, v: [h_kv, d_head]  -> z: [h, d_head]
    func attendOneToken(block i: Int, q: UnsafeMutableBufferPointer<Float>, k: UnsafeMutableBufferPointer<Float>,
                        v: UnsafeMutableBufferPointer<Float>, into zOut: UnsafeMutableBufferPointer<Float>) {
        let c = model.configuration
        let positions = position ..< position + 1
        let P = positions.upperBound
        let ownQ = buffers.queryKeyValue.slice(0, c.queryWidth)
        let ownK = buffers.queryKeyValue.slice(c.queryWidth, c.kvWidth)
        let ownV = buffers.queryKeyValue.slice(c.queryWidth + c.kvWidth, c.kvWidth)
        ownQ.baseAddress!.update(from: q.baseAddress!, count: c.queryWidth)
        ownK.baseAddress!.update(from: k.baseAddress!, count: c.kvWidth)
        ownV.baseAddress!.update(from: v.baseAddress!, count: c.kvWidth)
        let scores = buffers.scores.slice(0, c.headCount * P)
        let z = buffers.z.slice(0, c.queryWidth)

        rope(ownQ, heads: c.headCount, block: i, positions)
        rope(ownK, heads: c.kvHeadCount, block: i, positions)
        appendToCache(block: i, k: ownK, v: ownV, positions)
        attentionScores(block: i, ownQ, into: scores, positions)
        causalSoftmax(block: i, scores, positions)
        weightedSumOfValues(block: i, pattern: scores, into: z, positions)
        zOut.baseAddress!.update(from: z.baseAddress!, count: c.queryWidth)
    }
}
