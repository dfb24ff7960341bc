import Kernels

// Causal grouped-query self-attention, step by step.

extension InferenceSession {
    /// Multi-head causal self-attention of T tokens over the cached ones and themselves.
    /// x: [T, d]  -> out: [T, d]
    func attention(block i: Int, _ x: UnsafeMutableBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>,
                   _ positions: Range<Int>) {
        let c = model.configuration
        let w = model.weights.blocks[i]
        let T = positions.count
        let P = positions.upperBound
        let q = buffers.queryKeyValue.slice(0, T * c.queryWidth)
        let k = buffers.queryKeyValue.slice(T * c.queryWidth, T * c.kvWidth)
        let v = buffers.queryKeyValue.slice(T * (c.queryWidth + c.kvWidth), T * c.kvWidth)
        let scores = buffers.scores.slice(0, c.headCount * T * P)
        let z = buffers.z.slice(0, T * c.queryWidth)

        qkvProjections(w, x, into: buffers.queryKeyValue, count: T)
        hook(.q(i), [T, c.headCount, c.headDimension], q, positions)
        hook(.k(i), [T, c.kvHeadCount, c.headDimension], k, positions)
        hook(.v(i), [T, c.kvHeadCount, c.headDimension], v, positions)

        rope(q, heads: c.headCount, positions)
        rope(k, heads: c.kvHeadCount, positions)
        hook(.rotQ(i), [T, c.headCount, c.headDimension], q, positions)
        hook(.rotK(i), [T, c.kvHeadCount, c.headDimension], k, positions)

        appendToCache(block: i, k: k, v: v, positions)
        attentionScores(block: i, q, into: scores, positions)
        hook(.attnScores(i), [c.headCount, T, P], scores, positions)
        causalSoftmax(scores, positions)
        hook(.pattern(i), [c.headCount, T, P], scores, positions)
        weightedSumOfValues(block: i, pattern: scores, into: z, positions)
        hook(.z(i), [T, c.headCount, c.headDimension], z, positions)
        linear(w.attentionOutput, z, count: T, into: out)
    }

    /// The three projections of the normalized residual stream: q = x·W_Qᵀ, k = x·W_Kᵀ,
    /// v = x·W_Vᵀ, written one after the other (one backend call: x is prepared once).
    /// x: [T, d]  W_Q: [h·d_head, d]  W_K, W_V: [h_kv·d_head, d]
    ///   -> qkv: q [T, h, d_head], then k and v [T, h_kv, d_head]
    func qkvProjections(_ w: BlockWeights, _ x: UnsafeMutableBufferPointer<Float>,
                        into qkv: UnsafeMutableBufferPointer<Float>, count T: Int) {
        linear(w.queryKeyValue, x, count: T, into: qkv)
    }

    /// RoPE: turns each pair of dimensions of every head by an angle proportional to the
    /// token's position (adjacent pairs, as GGUF stores Llama's Q and K).
    /// x: [T, heads, d_head]  (in place)
    func rope(_ x: UnsafeMutableBufferPointer<Float>, heads: Int, _ positions: Range<Int>) {
        let c = model.configuration
        let width = heads * c.headDimension
        // Tokens turn independently: a prompt's are shared between threads.
        forEachPiece(positions.count, shared: positions.count >= 8) { t in
            model.backend.rope(x.slice(t * width, width), heads: heads, headDim: c.headDimension,
                               position: positions.lowerBound + t, config: c.rope)
        }
    }

    /// Stores this call's keys (after RoPE) and values at their positions in the cache.
    /// k, v: [T, h_kv, d_head]  -> cache[block]: [P, h_kv, d_head]
    func appendToCache(block i: Int, k: UnsafeMutableBufferPointer<Float>, v: UnsafeMutableBufferPointer<Float>,
                       _ positions: Range<Int>) {
        let width = cache.width
        let count = positions.count * width
        let start = positions.lowerBound
        cache.key(block: i, position: start).baseAddress!.update(from: k.baseAddress!, count: count)
        cache.value(block: i, position: start).baseAddress!.update(from: v.baseAddress!, count: count)
    }

    /// Scaled dot products of every query head with every cached key, and the causal mask:
    /// query t (at position start + t) may see keys 0 … start + t; later keys get −∞.
    /// Query head j reads key head j / (h / h_kv) (grouped-query attention).
    /// q: [T, h, d_head]  keys: [P, h_kv, d_head]  -> scores: [h, T, P]
    func attentionScores(block i: Int, _ q: UnsafeMutableBufferPointer<Float>,
                         into scores: UnsafeMutableBufferPointer<Float>, _ positions: Range<Int>) {
        let c = model.configuration
        let backend = model.backend
        let dHead = c.headDimension
        let T = positions.count
        let P = positions.upperBound
        let scale = 1 / Float(dHead).squareRoot()
        forEachPiece(c.headCount, shared: T * P >= Self.parallelAttentionWork) { head in
            let kvHead = head / c.groupSize
            for t in 0 ..< T {
                let query = q.slice((t * c.headCount + head) * dHead, dHead).readOnly
                let row = scores.slice((head * T + t) * P, P)
                let visible = positions.lowerBound + t + 1
                // Key p of this head: cache position p, floats kvHead·d_head ..< (kvHead + 1)·d_head.
                let keys = cache.key(block: i, position: 0).baseAddress! + kvHead * dHead
                backend.dots(query, keys: keys, stride: cache.width, into: row.slice(0, visible))
                for p in 0 ..< visible { row[p] *= scale }
                for p in visible ..< P { row[p] = -.infinity }
            }
        }
    }

    /// Softmax of each query's scores over the keys it may see: the attention pattern
    /// (0 on masked keys).
    /// scores: [h, T, P]  -> pattern: [h, T, P]  (in place)
    func causalSoftmax(_ scores: UnsafeMutableBufferPointer<Float>, _ positions: Range<Int>) {
        let T = positions.count
        let P = positions.upperBound
        forEachPiece(scores.count / (T * P), shared: T * P >= Self.parallelAttentionWork) { head in
            for t in 0 ..< T {
                model.backend.softmax(scores.slice((head * T + t) * P, P), validCount: positions.lowerBound + t + 1)
            }
        }
    }

    /// Each query head's output: the values weighted by its pattern, z = Σ_p pattern[p] · v_p.
    /// (Every nonzero weight is used, so a hook that patches the pattern is obeyed.)
    /// pattern: [h, T, P]  values: [P, h_kv, d_head]  -> z: [T, h, d_head]
    func weightedSumOfValues(block i: Int, pattern: UnsafeMutableBufferPointer<Float>,
                             into z: UnsafeMutableBufferPointer<Float>, _ positions: Range<Int>) {
        let c = model.configuration
        let backend = model.backend
        let dHead = c.headDimension
        let T = positions.count
        let P = positions.upperBound
        z.update(repeating: 0)
        forEachPiece(c.headCount, shared: T * P >= Self.parallelAttentionWork) { head in
            let kvHead = head / c.groupSize
            for t in 0 ..< T {
                let out = z.slice((t * c.headCount + head) * dHead, dHead)
                let weights = pattern.slice((head * T + t) * P, P)
                let values = cache.value(block: i, position: 0).baseAddress! + kvHead * dHead
                backend.weightedSum(weights.readOnly, values: values, stride: cache.width, into: out)
            }
        }
    }

    /// Score entries (T·P) per head from which the heads of a layer are shared between threads:
    /// below it (generation with a short context) waking a thread costs more than it saves.
    static let parallelAttentionWork = 1024

    /// Runs body(0), …, body(count − 1), pieces of work that do not depend on each other (heads,
    /// tokens): on the backend's threads when `shared`, else in order on this thread.
    func forEachPiece(_ count: Int, shared: Bool, _ body: (Int) -> Void) {
        if shared {
            model.backend.concurrentForEach(count, body)
        } else {
            for i in 0 ..< count { body(i) }
        }
    }
}
