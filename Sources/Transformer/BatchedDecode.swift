import Kernels

/// Continuous batching: several sessions (the server's slots) run through the model together,
/// each with its own run of tokens: one new token for a slot that generates, a chunk of its
/// prompt for a slot that starts.
///
/// Every matrix product takes all the runs' tokens as one [N, d] activation, so the weights are
/// read once per step for all of them; attention runs per session, on that session's own KV
/// cache at its own positions. The products are `Backend.matVecs`, not a prompt's `matMul`: each
/// row gets exactly the numbers of a token evaluated alone (batch invariance), whatever the
/// others are, so a greedy answer does not depend on which other requests share the step. (A
/// run of several tokens is taken only where `matMul` gives those same bits, as simd-q8's
/// integer products do, so that a prompt gets the numbers of `evaluate`.) The steps are those
/// of `forward` and `transformerBlock`, in the same order, calling the same functions:
///
///     x = embed(tokens of every run)                      [N, d]
///     for each block:
///         qkv = rmsNorm(x) · [W_Q | W_K | W_V]ᵀ            [N, …]   one product for all
///         z_b = attention of run b on its session's cache [T_b, h·d_head], sessions in parallel
///         x += z · W_Oᵀ                                    [N, d]   one product for all
///         x += SwiGLU(rmsNorm(x))                          [N, d]   one product for all
///     logits_b = rmsNorm(x of run b's last token) · W_Uᵀ   [B, V]
///
/// The activations live in a scratch session of `maxTokens` rows (its own KV cache is not
/// used); each session's logits are copied into that session's buffer, so they read as if the
/// session had evaluated its run alone.
public final class BatchedDecoder {
    public let model: Model
    /// Most sessions one step runs together.
    public let maxBatch: Int
    /// Most tokens (all runs together) one step runs.
    public let maxTokens: Int
    private let scratch: InferenceSession

    /// A decoder for up to `maxBatch` sessions and `maxTokens` tokens per step (at least
    /// `maxBatch`: one token each).
    public init(model: Model, maxBatch: Int, maxTokens: Int = 0) throws(ModelError) {
        self.model = model
        let context = model.configuration.contextLength
        let sessions = max(2, min(maxBatch, context))
        let size = max(sessions, min(maxTokens, context))
        scratch = try InferenceSession(model: model, contextLength: size, batchSize: size)
        scratch.rowsAreIndependentTokens = true
        self.maxBatch = sessions
        self.maxTokens = scratch.batchSize
    }

    /// True when these sessions can be decoded together, one token each: the same
    /// Llama-architecture model as this decoder, no hooks, room in each cache, and not more of
    /// them than `maxBatch`.
    public func canDecode(_ sessions: [InferenceSession]) -> Bool {
        canEvaluate(sessions, counts: sessions.map { _ in 1 })
    }

    /// True when these sessions can run runs of `counts[b]` tokens together: as `canDecode`,
    /// with room for each run in its session's buffers and cache, and for all of them in this
    /// decoder; a run longer than one token only where every block product is per token
    /// (`Backend.matMulIsPerToken`).
    public func canEvaluate(_ sessions: [InferenceSession], counts: [Int]) -> Bool {
        guard Self.supports(model), !sessions.isEmpty, sessions.count == counts.count, sessions.count <= maxBatch,
              counts.allSatisfy({ $0 >= 1 }), counts.reduce(0, +) <= maxTokens else { return false }
        if counts.contains(where: { $0 > 1 }) && !perTokenProducts { return false }
        return zip(sessions, counts).allSatisfy { session, count in
            session.model === model && session.hooks == nil && count <= session.batchSize
                && session.position + count <= session.contextLength
        }
    }

    /// True for the models whose blocks this step runs: it copies `transformerBlock` for the
    /// plain Llama block only, the description with every option off and no biases. Other
    /// blocks (extra norms, windows, biases) run one session at a time.
    public static func supports(_ model: Model) -> Bool {
        let c = model.configuration, w = model.weights
        return c.architecture == .llama(headDimension: c.headDimension, tiedOutput: c.architecture.tiedOutput)
            && w.unembeddingBias == nil
            && w.blocks.allSatisfy { $0.attentionOutputBias == nil && $0.queryKeyValueBias == nil }
    }

    /// Every block product gives each token the bits it gets alone, in a prompt as well.
    private lazy var perTokenProducts: Bool = model.weights.blocks.allSatisfy { block in
        (block.queryKeyValue + [block.attentionOutput, block.down] + block.gateUp).allSatisfy(model.backend.matMulIsPerToken)
    }

    /// Feeds `tokens[b]` to `sessions[b]` at its next position and returns each session's logits.
    /// Nil (nothing computed) when `canDecode` is false or a token is out of range.
    public func decode(_ sessions: [InferenceSession], tokens: [Int]) -> [Logits]? {
        evaluate(sessions, runs: tokens.map { [$0][...] })
    }

    /// Feeds `runs[b]` to `sessions[b]` at its next positions and returns, for each session, the
    /// logits of its run's last token. Nil (nothing computed) when `canEvaluate` is false or a
    /// token is out of range.
    public func evaluate(_ sessions: [InferenceSession], runs: [ArraySlice<Int>]) -> [Logits]? {
        let c = model.configuration
        let B = sessions.count
        guard B > 0, B == runs.count, canEvaluate(sessions, counts: runs.map(\.count)),
              runs.allSatisfy({ $0.allSatisfy { (0 ..< c.vocabularySize).contains($0) } }) else { return nil }
        let d = c.embeddingLength
        // Run b's rows of the batch: first[b] ..< first[b] + runs[b].count.
        let first = runs.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        let N = first[B]
        let buffers = scratch.buffers
        // The scratch session's hook positions: one row per token (it has no hooks).
        let rows = 0 ..< N
        let x = buffers.residual.slice(0, N * d)
        let normalized = buffers.normalized.slice(0, N * d)
        let output = buffers.blockOutput.slice(0, N * d)

        scratch.embed(ArraySlice(runs.joined()), into: x)
        for i in 0 ..< c.blockCount {
            let w = model.weights.blocks[i]
            // Attention sub-block: projections for all, attention per session.
            scratch.rmsNorm(x, weight: w.attentionNorm, into: normalized, rows,
                            scalePoint: .ln1Scale(i), normalizedPoint: .ln1Normalized(i))
            scratch.qkvProjections(w, normalized, into: buffers.queryKeyValue, count: N)
            let qkv = buffers.queryKeyValue
            // The sessions' attentions are independent (each its own cache and buffers): one
            // per thread at a time, not one after the other on this thread while the others wait.
            model.backend.concurrentForEach(B) { b in
                let T = runs[b].count, r = first[b]
                sessions[b].attend(
                    block: i,
                    q: qkv.slice(r * c.queryWidth, T * c.queryWidth),
                    k: qkv.slice(N * c.queryWidth + r * c.kvWidth, T * c.kvWidth),
                    v: qkv.slice(N * (c.queryWidth + c.kvWidth) + r * c.kvWidth, T * c.kvWidth),
                    into: buffers.z.slice(r * c.queryWidth, T * c.queryWidth))
            }
            scratch.linear(w.attentionOutput, buffers.z, count: N, into: output)
            scratch.residualAdd(output, to: x)

            // MLP sub-block, for all.
            scratch.rmsNorm(x, weight: w.mlpNorm, into: normalized, rows,
                            scalePoint: .ln2Scale(i), normalizedPoint: .ln2Normalized(i))
            scratch.gatedMLP(block: i, normalized, into: output, rows)
            scratch.residualAdd(output, to: x)
        }
        for (session, run) in zip(sessions, runs) { session.cache.count += run.count }

        // Each run's last token only: its row of x, normalized, then unembedded.
        let last = buffers.blockOutput.slice(0, B * d)
        for b in 0 ..< B {
            last.baseAddress!.advanced(by: b * d).update(from: x.baseAddress! + (first[b + 1] - 1) * d, count: d)
        }
        let lastNormalized = buffers.normalized.slice(0, B * d)
        scratch.rmsNorm(last, weight: model.weights.outputNorm, into: lastNormalized, 0 ..< B,
                        scalePoint: .lnFinalScale, normalizedPoint: .lnFinalNormalized)
        scratch.linear(model.weights.unembedding, lastNormalized, count: B, into: buffers.logits)
        let V = c.vocabularySize
        return sessions.enumerated().map { b, session in
            let own = session.buffers.logits.slice(0, V)
            own.baseAddress!.update(from: buffers.logits.baseAddress! + b * V, count: V)
            return Logits(owner: session.buffers, values: own.readOnly)
        }
    }
}

extension InferenceSession {
    /// The attention of T new tokens at this session's next positions, given their
    /// projections: the steps of `attention(block:_:into:_:)` after the projections and before
    /// the output projection, on this session's cache.
    /// q: [T, h, d_head]  k, v: [T, h_kv, d_head]  -> z: [T, h, d_head]
    func attend(block i: Int, q: UnsafeMutableBufferPointer<Float>, k: UnsafeMutableBufferPointer<Float>,
                v: UnsafeMutableBufferPointer<Float>, into zOut: UnsafeMutableBufferPointer<Float>) {
        let c = model.configuration
        let T = q.count / c.queryWidth
        let positions = position ..< position + T
        let P = positions.upperBound
        // In this session's own buffers, laid out as `attention` lays them out.
        let ownQ = buffers.queryKeyValue.slice(0, T * c.queryWidth)
        let ownK = buffers.queryKeyValue.slice(T * c.queryWidth, T * c.kvWidth)
        let ownV = buffers.queryKeyValue.slice(T * (c.queryWidth + c.kvWidth), T * c.kvWidth)
        ownQ.baseAddress!.update(from: q.baseAddress!, count: T * c.queryWidth)
        ownK.baseAddress!.update(from: k.baseAddress!, count: T * c.kvWidth)
        ownV.baseAddress!.update(from: v.baseAddress!, count: T * c.kvWidth)
        let scores = buffers.scores.slice(0, c.headCount * T * P)
        let z = buffers.z.slice(0, T * c.queryWidth)

        rope(ownQ, heads: c.headCount, block: i, positions)
        rope(ownK, heads: c.kvHeadCount, block: i, positions)
        appendToCache(block: i, k: ownK, v: ownV, positions)
        attendToCache(block: i, ownQ, scores: scores, into: z, positions)
        zOut.baseAddress!.update(from: z.baseAddress!, count: T * c.queryWidth)
    }
}
