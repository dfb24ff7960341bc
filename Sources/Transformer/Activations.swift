/// The buffers one forward pass writes, allocated once per session for up to `batch` tokens
/// and reused for every call (a call with T ≤ batch tokens uses the first T rows).
///
/// T = tokens in this call, P = key positions seen (cached + T), shapes row-major.
final class Activations {
    /// Largest T one call can run.
    let batch: Int
    /// x: the residual stream.   [T, d]
    let residual: UnsafeMutableBufferPointer<Float>
    /// RMSNorm output, input of the projections.   [T, d]
    let normalized: UnsafeMutableBufferPointer<Float>
    /// RMSNorm divisor per position, or per head and position for the q/k norms (hooks only).
    /// [T] or [T, h]
    let scale: UnsafeMutableBufferPointer<Float>
    /// Queries, then keys, then values of this call's tokens, written by one backend call.
    /// [T, h, d_head] then [T, h_kv, d_head] twice
    let queryKeyValue: UnsafeMutableBufferPointer<Float>
    /// Attention scores, then pattern.   [h, T, P]  (P ≤ context length)
    let scores: UnsafeMutableBufferPointer<Float>
    /// Weighted sums of values.   [T, h, d_head]
    let z: UnsafeMutableBufferPointer<Float>
    /// Attention or MLP output before it is added to the residual.   [T, d]
    let blockOutput: UnsafeMutableBufferPointer<Float>
    /// MLP gate branch (then act(gate) ⊙ up), then up branch, written by one backend call.
    /// [T, d_ff] twice
    let gateUp: UnsafeMutableBufferPointer<Float>
    /// Logits.   [T, V]
    let logits: UnsafeMutableBufferPointer<Float>

    init(configuration c: ModelConfiguration, batch: Int, contextLength: Int) {
        self.batch = batch
        func buffer(_ count: Int) -> UnsafeMutableBufferPointer<Float> {
            let b = UnsafeMutableBufferPointer<Float>.allocateAligned(count)
            b.initialize(repeating: 0)
            return b
        }
        residual = buffer(batch * c.embeddingLength)
        normalized = buffer(batch * c.embeddingLength)
        scale = buffer(batch * max(1, c.headCount))
        queryKeyValue = buffer(batch * (c.queryWidth + 2 * c.kvWidth))
        scores = buffer(c.headCount * batch * contextLength)
        z = buffer(batch * c.queryWidth)
        blockOutput = buffer(batch * c.embeddingLength)
        gateUp = buffer(batch * 2 * c.feedForwardLength)
        logits = buffer(batch * c.vocabularySize)
    }

    deinit {
        for b in [residual, normalized, scale, queryKeyValue, scores, z, blockOutput, gateUp, logits] {
            b.deallocate()
        }
    }
}
