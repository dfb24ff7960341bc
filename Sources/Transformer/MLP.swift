import Kernels

extension InferenceSession {
    /// The SwiGLU MLP: (SiLU(x·W_gateᵀ) ⊙ x·W_upᵀ) · W_downᵀ.
    /// x: [T, d]  W_gate, W_up: [d_ff, d]  W_down: [d, d_ff]  -> out: [T, d]
    func swiGLU(block i: Int, _ x: UnsafeMutableBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>,
                _ positions: Range<Int>) {
        let c = model.configuration
        let w = model.weights.blocks[i]
        let T = positions.count
        let gate = buffers.gate.slice(0, T * c.feedForwardLength)
        let up = buffers.up.slice(0, T * c.feedForwardLength)

        linear(w.gate, x, count: T, into: gate)
        linear(w.up, x, count: T, into: up)
        hook(.mlpPre(i), [T, c.feedForwardLength], gate, positions)
        hook(.mlpPreLinear(i), [T, c.feedForwardLength], up, positions)

        model.backend.silu(gate)
        model.backend.mul(gate.readOnly, up.readOnly, into: gate)
        hook(.mlpPost(i), [T, c.feedForwardLength], gate, positions)

        linear(w.down, gate, count: T, into: out)
    }
}
