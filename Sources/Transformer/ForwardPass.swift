import Foundation
import Kernels

// The forward pass, one function per step of the lecture, in the order they run. One pass for
// every family: what Qwen, Gemma or Phi-3 do differently is data (`Architecture`), consulted at
// the steps marked with the option's name; with every option off this is Llama.
//
// Symbols: T tokens in this call, starting at absolute position `start`; P = start + T key
// positions visible to the last of them; d = embedding width, h / h_kv = query / key-value
// heads, d_head = head width, d_ff = MLP width, V = vocabulary. Buffers are row-major.

extension InferenceSession {
    /// Runs T tokens through the model, appending their keys and values to the cache, and leaves
    /// the logits of the last token (or of all T) in `buffers.logits`.
    /// tokens: [T]  -> logits: [T, V] or [1, V]
    func forward(_ tokens: ArraySlice<Int>, allLogits: Bool) {
        let c = model.configuration
        let T = tokens.count
        let positions = position ..< position + T
        let x = buffers.residual.slice(0, T * c.embeddingLength)

        embed(tokens, into: x)
        scaleEmbeddings(x)
        hook(.embed, [T, c.embeddingLength], x, positions)
        for block in 0 ..< c.blockCount {
            transformerBlock(block, x, positions)
        }
        cache.count = positions.upperBound

        let normalized = buffers.normalized.slice(0, T * c.embeddingLength)
        rmsNorm(x, weight: model.weights.outputNorm, into: normalized, positions,
                scalePoint: .lnFinalScale, normalizedPoint: .lnFinalNormalized)
        unembed(normalized, allPositions: allLogits, positions)
    }

    /// One transformer block: attention then MLP, each read from and added to the residual stream.
    /// x: [T, d]  (updated in place)
    func transformerBlock(_ i: Int, _ x: UnsafeMutableBufferPointer<Float>, _ positions: Range<Int>) {
        let c = model.configuration
        let w = model.weights.blocks[i]
        let T = positions.count
        let d = c.embeddingLength
        let normalized = buffers.normalized.slice(0, T * d)
        let output = buffers.blockOutput.slice(0, T * d)
        hook(.residPre(i), [T, d], x, positions)

        // Attention sub-block.
        rmsNorm(x, weight: w.attentionNorm, into: normalized, positions,
                scalePoint: .ln1Scale(i), normalizedPoint: .ln1Normalized(i))
        attention(block: i, normalized, into: output, positions)
        if let gamma = w.postAttentionNorm {                         // postNorms (Gemma)
            rmsNorm(output, weight: gamma, into: output, positions,
                    scalePoint: .ln1PostScale(i), normalizedPoint: .ln1PostNormalized(i))
        }
        hook(.attnOut(i), [T, d], output, positions)
        residualAdd(output, to: x)
        hook(.residMid(i), [T, d], x, positions)

        // MLP sub-block.
        rmsNorm(x, weight: w.mlpNorm, into: normalized, positions,
                scalePoint: .ln2Scale(i), normalizedPoint: .ln2Normalized(i))
        gatedMLP(block: i, normalized, into: output, positions)
        if let gamma = w.postMLPNorm {                               // postNorms (Gemma)
            rmsNorm(output, weight: gamma, into: output, positions,
                    scalePoint: .ln2PostScale(i), normalizedPoint: .ln2PostNormalized(i))
        }
        hook(.mlpOut(i), [T, d], output, positions)
        residualAdd(output, to: x)
        hook(.residPost(i), [T, d], x, positions)
    }

    // MARK: - Embedding

    /// Looks up the row of W_E for each token.
    /// tokens: [T]  W_E: [V, d]  -> x: [T, d]
    func embed(_ tokens: ArraySlice<Int>, into x: UnsafeMutableBufferPointer<Float>) {
        let d = model.configuration.embeddingLength
        for (t, token) in tokens.enumerated() {
            model.backend.embedding(model.weights.tokenEmbedding, row: token, into: x.slice(t * d, d))
        }
    }

    /// Gemma multiplies the token embeddings by √d (`embeddingScale`; 1 elsewhere).
    /// x: [T, d]  (in place)
    func scaleEmbeddings(_ x: UnsafeMutableBufferPointer<Float>) {
        let scale = model.configuration.architecture.embeddingScale
        guard scale != 1 else { return }
        for j in x.indices { x[j] *= scale }
    }

    // MARK: - RMSNorm

    /// RMSNorm of every row: out = x / √(mean(x²) + ε) ⊙ γ. With `heads`, every head of every
    /// row is a row of its own (the q/k norms of Qwen 3 and Gemma 3, γ: [d_head]).
    /// x: [T, d] or [T, heads, d_head]  γ: [d] or [d_head]  -> out: same shape (out may be x)
    ///
    /// With hooks set, the divisor ("scale", [T, 1] or [T, heads, 1]) and x / scale are computed
    /// as separate steps so a hook can read or patch them; without hooks one kernel call per row.
    func rmsNorm(_ x: UnsafeMutableBufferPointer<Float>, weight gamma: UnsafeBufferPointer<Float>,
                 into out: UnsafeMutableBufferPointer<Float>, _ positions: Range<Int>, heads: Int? = nil,
                 scalePoint: HookPoint, normalizedPoint: HookPoint) {
        let backend = model.backend
        let epsilon = model.configuration.rmsEpsilon
        let d = gamma.count
        let T = positions.count
        let rows = T * (heads ?? 1)
        guard hooks != nil else {
            // Rows are independent: a prompt's are shared between threads, 16 at a time.
            let pieces = (rows + 15) / 16
            forEachPiece(pieces, shared: pieces >= 4) { piece in
                for t in piece * 16 ..< min(rows, piece * 16 + 16) {
                    backend.rmsNorm(x.slice(t * d, d).readOnly, weight: gamma, epsilon: epsilon, into: out.slice(t * d, d))
                }
            }
            return
        }
        let scale = buffers.scale.slice(0, rows)
        for t in 0 ..< rows {
            let row = x.slice(t * d, d).readOnly
            scale[t] = (backend.dot(row, row) / Float(d) + epsilon).squareRoot()
        }
        hook(scalePoint, heads.map { [T, $0, 1] } ?? [T, 1], scale, positions)
        for t in 0 ..< rows {
            let inverse = 1 / scale[t]
            for j in 0 ..< d { out[t * d + j] = x[t * d + j] * inverse }
        }
        hook(normalizedPoint, heads.map { [T, $0, d] } ?? [T, d], out.slice(0, rows * d), positions)
        for t in 0 ..< rows {
            let row = out.slice(t * d, d)
            backend.mul(row.readOnly, gamma, into: row)
        }
    }

    // MARK: - Linear layers

    /// y = x·Wᵀ for every row: a matrix-vector product for one token, matrix-matrix for more
    /// (one matrix-vector product per row when the rows are independent sequences).
    /// W: [rows, columns]  x: [T, columns]  -> y: [T, rows]
    func linear(_ w: WeightMatrix, _ x: UnsafeMutableBufferPointer<Float>, count T: Int,
                into y: UnsafeMutableBufferPointer<Float>) {
        let input = x.slice(0, T * w.columns).readOnly
        let output = y.slice(0, T * w.rows)
        if T == 1 {
            model.backend.matVec(w, input, into: output)
        } else if rowsAreIndependentTokens {
            model.backend.matVecs([w], input, count: T, into: output)
        } else {
            model.backend.matMul(w, input, count: T, into: output)
        }
    }

    /// Several linear maps of the same input, outputs one after the other:
    /// y = [x·W_0ᵀ | x·W_1ᵀ | …] (one backend call, so that x is prepared once).
    /// x: [T, d_in]  W_i: [d_i, d_in]  -> y: [T, d_0], [T, d_1], …
    func linear(_ ws: [WeightMatrix], _ x: UnsafeMutableBufferPointer<Float>, count T: Int,
                into y: UnsafeMutableBufferPointer<Float>) {
        let input = x.slice(0, T * ws[0].columns).readOnly
        let output = y.slice(0, T * ws.totalRows)
        if rowsAreIndependentTokens {
            model.backend.matVecs(ws, input, count: T, into: output)
        } else {
            model.backend.matMul(ws, input, count: T, into: output)
        }
    }

    // MARK: - Residual

    /// The residual connection: x ← x + out.
    /// x, out: [T, d]
    func residualAdd(_ out: UnsafeMutableBufferPointer<Float>, to x: UnsafeMutableBufferPointer<Float>) {
        model.backend.add(x.readOnly, out.readOnly, into: x)
    }

    // MARK: - Unembedding

    /// Logits of the last position (or of every position): normalized x · W_Uᵀ (+ b_U), then,
    /// for a model with a logit softcap c, c · tanh(logit / c).
    /// x: [T, d]  W_U: [V, d]  -> logits: [T, V] or [1, V]
    func unembed(_ x: UnsafeMutableBufferPointer<Float>, allPositions: Bool, _ positions: Range<Int>) {
        let c = model.configuration
        let d = c.embeddingLength
        let T = positions.count
        let rows = allPositions ? T : 1
        let input = allPositions ? x : x.slice((T - 1) * d, d)
        let logits = buffers.logits.slice(0, rows * c.vocabularySize)
        linear(model.weights.unembedding, input, count: rows, into: logits)
        if let bias = model.weights.unembeddingBias { addBias(bias, to: logits, count: rows) }
        if let cap = c.architecture.logitSoftcap {                   // logitSoftcap (Gemma 2)
            for j in logits.indices { logits[j] = cap * tanhf(logits[j] / cap) }
        }
        let shown = allPositions ? positions : positions.upperBound - 1 ..< positions.upperBound
        hook(.logits, [rows, c.vocabularySize], logits, shown)
    }

    // MARK: - Hooks

    /// Hands an activation to the hooks, if any. Without hooks: one nil check, no allocation.
    @inline(__always)
    func hook(_ point: HookPoint, _ shape: @autoclosure () -> [Int], _ values: UnsafeMutableBufferPointer<Float>,
              _ positions: Range<Int>) {
        guard let hooks else { return }
        hooks.visit(HookedActivation(point: point, shape: shape(), positions: positions, values: values))
    }
}
