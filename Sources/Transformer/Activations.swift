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
    /// RMSNorm divisor per position (hooks only).   [T]
    let scale: UnsafeMutableBufferPointer<Float>
    /// Queries.   [T, h, d_head]
    let query: UnsafeMutableBufferPointer<Float>
    /// Keys and values of this call's tokens.   [T, h_kv, d_head]
    let key: UnsafeMutableBufferPointer<Float>
    let value: UnsafeMutableBufferPointer<Float>
    /// Attention scores, then pattern.   [h, T, P]  (P ≤ context length)
    let scores: UnsafeMutableBufferPointer<Float>
    /// Weighted sums of values.   [T, h, d_head]
    let z: UnsafeMutableBufferPointer<Float>
    /// Attention or MLP output before it is added to the residual.   [T, d]
    let blockOutput: UnsafeMutableBufferPointer<Float>
    /// MLP gate branch, then SiLU(gate) ⊙ up.   [T, d_ff]
    let gate: UnsafeMutableBufferPointer<Float>
    /// MLP up branch.   [T, d_ff]
    let up: UnsafeMutableBufferPointer<Float>
    /// Logits.   [T, V]
    let logits: UnsafeMutableBufferPointer<Float>

    init(configuration c: ModelConfiguration, batch: Int, contextLength: Int) {
        self.batch = batch
        func buffer(_ count: Int) -> UnsafeMutableBufferPointer<Float> {
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
            b.initialize(repeating: 0)
            return b
        }
        residual = buffer(batch * c.embeddingLength)
        normalized = buffer(batch * c.embeddingLength)
        scale = buffer(batch)
        query = buffer(batch * c.queryWidth)
        key = buffer(batch * c.kvWidth)
        value = buffer(batch * c.kvWidth)
        scores = buffer(c.headCount * batch * contextLength)
        z = buffer(batch * c.queryWidth)
        blockOutput = buffer(batch * c.embeddingLength)
        gate = buffer(batch * c.feedForwardLength)
        up = buffer(batch * c.feedForwardLength)
        logits = buffer(batch * c.vocabularySize)
    }

    deinit {
        for b in [residual, normalized, scale, query, key, value, scores, z, blockOutput, gate, up, logits] {
            b.deallocate()
        }
    }
}
