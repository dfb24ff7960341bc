import Transformer

extension HookPoint {
    /// The lecture's one-line explanation of the step that produced this activation.
    public var lecture: String {
        switch self {
        case .embed: "Embedding: x = W_E[token], one row of the embedding matrix per token"
        case .residPre: "Residual stream entering the block: x"
        case .ln1Scale: "RMSNorm before attention, the divisor: √(mean(x²)+ε) per token"
        case .ln1Normalized: "RMSNorm before attention: x / √(mean(x²)+ε) (then · γ)"
        case .q: "Queries: q = norm(x)·W_Qᵀ, split into heads"
        case .k: "Keys: k = norm(x)·W_Kᵀ, one per key/value head (grouped-query attention)"
        case .v: "Values: v = norm(x)·W_Vᵀ, one per key/value head"
        case .qNormScale: "RMSNorm of each query head (Qwen 3, Gemma 3), the divisor per head and token"
        case .qNormNormalized: "RMSNorm of each query head: q / √(mean(q²)+ε) (then · γ), before RoPE"
        case .kNormScale: "RMSNorm of each key head, the divisor per head and token"
        case .kNormNormalized: "RMSNorm of each key head: k / √(mean(k²)+ε) (then · γ), before RoPE"
        case .rotQ: "RoPE on the queries: each pair of dimensions turned by position · θ_i"
        case .rotK: "RoPE on the keys (stored in the KV cache after this)"
        case .attnScores: "Attention scores: q·k / √d_head, −∞ on future tokens (causal mask) and outside a sliding window"
        case .pattern: "Attention pattern: softmax of the scores over the keys; each row sums to 1"
        case .z: "Weighted sum of values per head: z = Σ_p pattern[p] · v_p"
        case .ln1PostScale: "RMSNorm after attention (Gemma), the divisor per token"
        case .ln1PostNormalized: "RMSNorm after attention (Gemma): out / √(mean(out²)+ε) (then · γ)"
        case .attnOut: "Attention output: z·W_Oᵀ, the heads mixed back to the residual width"
        case .residMid: "Residual connection: x ← x + attention(x)"
        case .ln2Scale: "RMSNorm before the MLP, the divisor: √(mean(x²)+ε) per token"
        case .ln2Normalized: "RMSNorm before the MLP: x / √(mean(x²)+ε) (then · γ)"
        case .mlpPre: "MLP gate: norm(x)·W_gateᵀ (goes through SiLU, or GELU for Gemma)"
        case .mlpPreLinear: "MLP up: norm(x)·W_upᵀ (the linear branch)"
        case .mlpPost: "SwiGLU: SiLU(gate) ⊙ up, SiLU(g) = g·σ(g)"
        case .ln2PostScale: "RMSNorm after the MLP (Gemma), the divisor per token"
        case .ln2PostNormalized: "RMSNorm after the MLP (Gemma): out / √(mean(out²)+ε) (then · γ)"
        case .mlpOut: "MLP output: (SiLU(gate) ⊙ up)·W_downᵀ"
        case .residPost: "Residual connection: x ← x + MLP(x), the block's output"
        case .lnFinalScale: "Final RMSNorm, the divisor: √(mean(x²)+ε)"
        case .lnFinalNormalized: "Final RMSNorm: x / √(mean(x²)+ε) (then · γ)"
        case .logits: "Unembedding: logits = norm(x)·W_Uᵀ, one score per vocabulary token"
        }
    }
}
