import Kernels

// Causal grouped-query self-attention, step by step. The optional steps of other families
// (biases, q/k norms, sliding window) are marked with the architecture option that turns them on.

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

        if let qNorm = w.queryNorm, let kNorm = w.keyNorm {        // queryKeyNorm (Qwen 3, Gemma 3)
            rmsNorm(q, weight: qNorm, into: q, positions, heads: c.headCount,
                    scalePoint: .qNormScale(i), normalizedPoint: .qNormNormalized(i))
            rmsNorm(k, weight: kNorm, into: k, positions, heads: c.kvHeadCount,
                    scalePoint: .kNormScale(i), normalizedPoint: .kNormNormalized(i))
        }

        rope(q, heads: c.headCount, block: i, positions)
        rope(k, heads: c.kvHeadCount, block: i, positions)
        hook(.rotQ(i), [T, c.headCount, c.headDimension], q, positions)
        hook(.rotK(i), [T, c.kvHeadCount, c.headDimension], k, positions)

        appendToCache(block: i, k: k, v: v, positions)
        attendToCache(block: i, q, scores: scores, into: z, positions)
        hook(.z(i), [T, c.headCount, c.headDimension], z, positions)
        linear(w.attentionOutput, z, count: T, into: out)
        if let bias = w.attentionOutputBias { addBias(bias, to: out, count: T) }
    }

    /// The three projections of the normalized residual stream: q = x·W_Qᵀ (+ b_Q), k = x·W_Kᵀ
    /// (+ b_K), v = x·W_Vᵀ (+ b_V), written one after the other (one backend call: x is prepared
    /// once). Phi-3's fused W_QKV is the same three matrices, as row ranges of one tensor.
    /// x: [T, d]  W_Q: [h·d_head, d]  W_K, W_V: [h_kv·d_head, d]
    ///   -> qkv: q [T, h, d_head], then k and v [T, h_kv, d_head]
    func qkvProjections(_ w: BlockWeights, _ x: UnsafeMutableBufferPointer<Float>,
                        into qkv: UnsafeMutableBufferPointer<Float>, count T: Int) {
        linear(w.queryKeyValue, x, count: T, into: qkv)
        if let biases = w.queryKeyValueBias {                        // attentionBiases (Qwen 2)
            var start = 0
            for (bias, part) in zip(biases, w.queryKeyValue) {
                if let bias { addBias(bias, to: qkv.slice(start, T * part.rows), count: T) }
                start += T * part.rows
            }
        }
    }

    /// Adds the bias to every row: y[t] ← y[t] + b.
    /// y: [T, n]  b: [n]
    func addBias(_ bias: UnsafeBufferPointer<Float>, to y: UnsafeMutableBufferPointer<Float>, count T: Int) {
        let n = bias.count
        let backend = model.backend
        for t in 0 ..< T {
            let row = y.slice(t * n, n)
            backend.add(row.readOnly, bias, into: row)
        }
    }

    /// RoPE: turns each pair of dimensions of every head by an angle proportional to the
    /// token's position: adjacent pairs (Llama as GGUF stores it) or the two halves of the head
    /// (NEOX: Qwen, Gemma, Phi-3). Block i's angles (`ropes[i]`) may have their own base
    /// (Gemma's local layers) and frequency factors (Llama 3.1, Phi-3).
    /// x: [T, heads, d_head]  (in place)
    func rope(_ x: UnsafeMutableBufferPointer<Float>, heads: Int, block i: Int, _ positions: Range<Int>) {
        let c = model.configuration
        let width = heads * c.headDimension
        let config = ropes[i]
        let backend = model.backend
        // Tokens turn independently: a prompt's are shared between threads.
        forEachPiece(positions.count, shared: positions.count >= 8) { t in
            backend.rope(x.slice(t * width, width), heads: heads, headDim: c.headDimension,
                               position: positions.lowerBound + t, config: config)
        }
    }

    /// Stores this call's keys (after RoPE) and values at their positions in the cache.
    /// k, v: [T, h_kv, d_head]  -> cache[block]: [slots, h_kv, d_head]
    func appendToCache(block i: Int, k: UnsafeMutableBufferPointer<Float>, v: UnsafeMutableBufferPointer<Float>,
                       _ positions: Range<Int>) {
        let width = cache.width
        cache.forEachRun(block: i, positions) { run, slot in
            let from = (run.lowerBound - positions.lowerBound) * width
            (cache.keys[i].baseAddress! + slot * width).update(from: k.baseAddress! + from, count: run.count * width)
            (cache.values[i].baseAddress! + slot * width).update(from: v.baseAddress! + from, count: run.count * width)
        }
    }

    /// The keys query t (at position start + t) may see: keys 0 … start + t (causal), and on a
    /// sliding-window block only the last `window` of them.
    func visibleKeys(block i: Int, query t: Int, _ positions: Range<Int>) -> Range<Int> {
        let end = positions.lowerBound + t + 1
        guard let window = model.configuration.architecture.window(block: i) else { return 0 ..< end }
        return max(0, end - window) ..< end
    }

    /// The queries against the cache: scores, the causal softmax (the pattern), and the values
    /// weighted by it, tile by tile (`forEachTile`). With hooks, each step runs over every tile
    /// and its tensor is shown whole before the next; without, each tile runs the three steps
    /// while its rows are still in cache (a 512-token prompt's scores are 9 MB for SmolLM2's 9
    /// heads, far more than L2). Every row gets the same numbers either way.
    /// q: [T, h, d_head]  -> scores, pattern: [h, T, P]  z: [T, h, d_head]
    func attendToCache(block i: Int, _ q: UnsafeMutableBufferPointer<Float>, scores: UnsafeMutableBufferPointer<Float>,
                       into z: UnsafeMutableBufferPointer<Float>, _ positions: Range<Int>) {
        let c = model.configuration
        let T = positions.count
        let P = positions.upperBound
        let shared = T * P >= Self.parallelAttentionWork
        if hooks == nil {
            forEachTile(T, shared: shared) { tile in
                attentionScores(block: i, q, into: scores, positions, tile)
                causalSoftmax(block: i, scores, positions, tile)
                weightedSumOfValues(block: i, pattern: scores, into: z, positions, tile)
            }
        } else {
            forEachTile(T, shared: shared) { attentionScores(block: i, q, into: scores, positions, $0) }
            hook(.attnScores(i), [c.headCount, T, P], scores, positions)
            forEachTile(T, shared: shared) { causalSoftmax(block: i, scores, positions, $0) }
            hook(.pattern(i), [c.headCount, T, P], scores, positions)
            forEachTile(T, shared: shared) { weightedSumOfValues(block: i, pattern: scores, into: z, positions, $0) }
        }
    }

    /// Scaled dot products of every query head with every cached key, and the mask: keys a query
    /// may not see (later ones; outside the window) get −∞. The scale is 1/√d_head.
    /// Query head j reads key head j / (h / h_kv) (grouped-query attention). For one tile.
    /// q: [T, h, d_head]  keys: [P, h_kv, d_head]  -> scores: [h, T, P]
    func attentionScores(block i: Int, _ q: UnsafeMutableBufferPointer<Float>,
                         into scores: UnsafeMutableBufferPointer<Float>, _ positions: Range<Int>, _ tile: AttentionTile) {
        let c = model.configuration
        let backend = model.backend
        let dHead = c.headDimension
        let T = positions.count
        let P = positions.upperBound
        let scale = c.architecture.attentionScale
        let seen = visibleKeys(block: i, query: tile.tokens.lowerBound, positions).lowerBound
            ..< visibleKeys(block: i, query: tile.tokens.upperBound - 1, positions).upperBound
        for span in keyBlocks(seen) {
            for t in tile.tokens {
                let visible = visibleKeys(block: i, query: t, positions).clamped(to: span)
                if visible.isEmpty { continue }
                for head in tile.heads {
                    let query = q.slice((t * c.headCount + head) * dHead, dHead).readOnly
                    let row = scores.slice((head * T + t) * P, P)
                    // Key p of this head: its cache slot, floats kvHead·d_head ..< (kvHead + 1)·d_head.
                    cache.forEachRun(block: i, visible) { run, slot in
                        let keys = cache.keys[i].baseAddress! + slot * cache.width + tile.kvHead * dHead
                        backend.dots(query, keys: keys, stride: cache.width, into: row.slice(run.lowerBound, run.count))
                    }
                }
            }
        }
        // Only hooks read the masked scores (the lecture's pictures): the softmax skips them.
        let shown = hooks != nil
        for t in tile.tokens {
            let visible = visibleKeys(block: i, query: t, positions)
            for head in tile.heads {
                let row = scores.slice((head * T + t) * P, P)
                for p in visible { row[p] *= scale }
                guard shown else { continue }
                for p in 0 ..< visible.lowerBound { row[p] = -.infinity }
                for p in visible.upperBound ..< P { row[p] = -.infinity }
            }
        }
    }

    /// Softmax of each query's scores over the keys it may see: the attention pattern
    /// (0 on masked keys). For one tile.
    /// scores: [h, T, P]  -> pattern: [h, T, P]  (in place)
    func causalSoftmax(block i: Int, _ scores: UnsafeMutableBufferPointer<Float>, _ positions: Range<Int>,
                       _ tile: AttentionTile) {
        let T = positions.count
        let P = positions.upperBound
        let backend = model.backend
        // Only hooks read the masked weights; `weightedSumOfValues` reads the visible ones.
        let shown = hooks != nil
        for t in tile.tokens {
            let visible = visibleKeys(block: i, query: t, positions)
            for head in tile.heads {
                let row = scores.slice((head * T + t) * P, P)
                let end = shown ? P : visible.upperBound
                backend.softmax(row.slice(visible.lowerBound, end - visible.lowerBound), validCount: visible.count)
                if shown { for p in 0 ..< visible.lowerBound { row[p] = 0 } }
            }
        }
    }

    /// Each query head's output: the values weighted by its pattern, z = Σ_p pattern[p] · v_p.
    /// (With hooks, every nonzero weight on a key the cache holds is used, so a hook that
    /// patches the pattern is obeyed; without, the pattern is 0 beyond the visible keys.)
    /// For one tile.
    /// pattern: [h, T, P]  values: [P, h_kv, d_head]  -> z: [T, h, d_head]
    func weightedSumOfValues(block i: Int, pattern: UnsafeMutableBufferPointer<Float>,
                             into z: UnsafeMutableBufferPointer<Float>, _ positions: Range<Int>, _ tile: AttentionTile) {
        let c = model.configuration
        let backend = model.backend
        let dHead = c.headDimension
        let T = positions.count
        let P = positions.upperBound
        let held = max(0, P - cache.slots[i]) ..< P
        let patched = hooks != nil
        func weighted(_ t: Int) -> Range<Int> { patched ? held : visibleKeys(block: i, query: t, positions) }
        for t in tile.tokens {
            z.slice((t * c.headCount + tile.heads.lowerBound) * dHead, tile.heads.count * dHead).update(repeating: 0)
        }
        let seen = weighted(tile.tokens.lowerBound).lowerBound ..< weighted(tile.tokens.upperBound - 1).upperBound
        // Blocks in order: each output adds its terms p ascending, as one call over all would.
        for span in keyBlocks(seen) {
            for t in tile.tokens {
                let keys = weighted(t).clamped(to: span)
                if keys.isEmpty { continue }
                for head in tile.heads {
                    let out = z.slice((t * c.headCount + head) * dHead, dHead)
                    let weights = pattern.slice((head * T + t) * P, P)
                    cache.forEachRun(block: i, keys) { run, slot in
                        let values = cache.values[i].baseAddress! + slot * cache.width + tile.kvHead * dHead
                        backend.weightedSum(weights.slice(run.lowerBound, run.count).readOnly, values: values,
                                            stride: cache.width, into: out)
                    }
                }
            }
        }
    }

    /// A tile of attention's loops: the query heads that share key head `kvHead` (grouped-query
    /// attention), for a few consecutive tokens.
    struct AttentionTile {
        let kvHead: Int
        let heads: Range<Int>
        let tokens: Range<Int>
    }

    /// Runs body(tile) for every tile: the group of heads of each key head, `tokensPerTile`
    /// tokens at a time, the last tokens (which see the most keys) first. Within a tile the
    /// keys go by blocks small enough for L1 (`keyBlocks`), each used by all of the tile's
    /// queries: a key is read from memory once per tile rather than once per query. Each score
    /// is still one query against one key, so the order changes no bit.
    func forEachTile(_ T: Int, shared: Bool, _ body: (AttentionTile) -> Void) {
        let c = model.configuration
        let tiles = (T + Self.tokensPerTile - 1) / Self.tokensPerTile
        forEachPiece(c.kvHeadCount * tiles, shared: shared) { piece in
            let g = piece % c.kvHeadCount
            let first = (tiles - 1 - piece / c.kvHeadCount) * Self.tokensPerTile
            body(AttentionTile(kvHead: g, heads: g * c.groupSize ..< (g + 1) * c.groupSize,
                               tokens: first ..< min(T, first + Self.tokensPerTile)))
        }
    }

    /// `range` cut where positions are multiples of the block size: blocks of keys of at most
    /// 16 KB of one head (64 keys of 64 floats), a multiple of 16 keys. A row cut there gets the
    /// bits of one `dots` call over it (see `Backend.dots`), and a query's blocks do not depend
    /// on its tile, so a prompt's tokens get the same numbers however the prompt is split.
    func keyBlocks(_ range: Range<Int>) -> LazyMapSequence<StrideTo<Int>, Range<Int>> {
        let size = max(16, 4096 / model.configuration.headDimension / 16 * 16)
        return stride(from: range.lowerBound / size * size, to: range.upperBound, by: size).lazy
            .map { max($0, range.lowerBound) ..< min($0 + size, range.upperBound) }
    }

    /// Tokens per tile of attention's loops: 8 tokens' queries of a group of heads (6 KB for
    /// SmolLM2's 3 heads of 64 floats) beside a block of keys, within L1.
    static let tokensPerTile = 8

    /// Score entries (T·P) per head from which a layer's tiles are shared between threads:
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
