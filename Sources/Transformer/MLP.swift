import Kernels

extension InferenceSession {
    /// The gated MLP: (act(x·W_gateᵀ) ⊙ x·W_upᵀ) · W_downᵀ, act = SiLU (SwiGLU: Llama, Qwen,
    /// Phi-3) or GELU-tanh (GeGLU: Gemma). Phi-3's fused gate+up is the same two matrices.
    /// x: [T, d]  W_gate, W_up: [d_ff, d]  W_down: [d, d_ff]  -> out: [T, d]
    func gatedMLP(block i: Int, _ x: UnsafeMutableBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>,
                  _ positions: Range<Int>) {
        let c = model.configuration
        let w = model.weights.blocks[i]
        let T = positions.count
        let gate = buffers.gateUp.slice(0, T * c.feedForwardLength)
        let up = buffers.gateUp.slice(T * c.feedForwardLength, T * c.feedForwardLength)

        linear(w.gateUp, x, count: T, into: buffers.gateUp)   // gate, then up: x prepared once
        hook(.mlpPre(i), [T, c.feedForwardLength], gate, positions)
        hook(.mlpPreLinear(i), [T, c.feedForwardLength], up, positions)

        switch c.architecture.activation {
        case .silu: model.backend.silu(gate)
        case .geluTanh: model.backend.gelu(gate)
        }
        model.backend.mul(gate.readOnly, up.readOnly, into: gate)
        hook(.mlpPost(i), [T, c.feedForwardLength], gate, positions)

        linear(w.down, gate, count: T, into: out)
    }
}
