/// A place in the forward pass where an activation can be read or changed, named as in
/// TransformerLens (`blocks.3.attn.hook_pattern`) so that lecture notes and notebooks that use
/// those names apply unchanged.
public enum HookPoint: Hashable, Sendable, CustomStringConvertible {
    /// Token embeddings.   [T, d]
    case embed
    /// Residual stream entering block i.   [T, d]
    case residPre(Int)
    /// RMSNorm before attention: the divisor √(mean(x²) + ε) per position.   [T, 1]
    case ln1Scale(Int)
    /// RMSNorm before attention: x / scale, before the γ weights.   [T, d]
    case ln1Normalized(Int)
    /// Queries, keys and values before RoPE.   q: [T, h, d_head]  k, v: [T, h_kv, d_head]
    case q(Int), k(Int), v(Int)
    /// RMSNorm of each query head (Qwen 3, Gemma 3): the divisor, and q / scale before γ.
    /// [T, h, 1] / [T, h, d_head]
    case qNormScale(Int), qNormNormalized(Int)
    /// RMSNorm of each key head.   [T, h_kv, 1] / [T, h_kv, d_head]
    case kNormScale(Int), kNormNormalized(Int)
    /// Queries and keys after RoPE.   [T, h, d_head] / [T, h_kv, d_head]
    case rotQ(Int), rotK(Int)
    /// q·k / √d_head, with −∞ where the causal mask hides a key.   [h, T, P]  (P = cached + T)
    case attnScores(Int)
    /// Softmax of the scores: the attention pattern.   [h, T, P]
    case pattern(Int)
    /// Attention-weighted sum of values, per head, before W_O.   [T, h, d_head]
    case z(Int)
    /// RMSNorm of the attention output (Gemma's post-attention norm).   [T, 1] / [T, d]
    case ln1PostScale(Int), ln1PostNormalized(Int)
    /// Attention output after W_O (and after the post-attention norm when there is one).   [T, d]
    case attnOut(Int)
    /// Residual stream between attention and MLP.   [T, d]
    case residMid(Int)
    /// RMSNorm before the MLP.   [T, 1] / [T, d]
    case ln2Scale(Int), ln2Normalized(Int)
    /// x·W_gateᵀ, the pre-activation that goes through SiLU (GELU-tanh for Gemma).   [T, d_ff]
    case mlpPre(Int)
    /// x·W_upᵀ, the linear branch.   [T, d_ff]
    case mlpPreLinear(Int)
    /// act(gate) ⊙ up.   [T, d_ff]
    case mlpPost(Int)
    /// RMSNorm of the MLP output (Gemma's post-feed-forward norm).   [T, 1] / [T, d]
    case ln2PostScale(Int), ln2PostNormalized(Int)
    /// MLP output after W_down (and after the post-MLP norm when there is one).   [T, d]
    case mlpOut(Int)
    /// Residual stream leaving block i.   [T, d]
    case residPost(Int)
    /// Final RMSNorm.   [T, 1] / [T, d]
    case lnFinalScale, lnFinalNormalized
    /// Logits of the positions asked for.   [T_out, V]
    case logits

    /// The TransformerLens name of the point.
    public var name: String {
        switch self {
        case .embed: "hook_embed"
        case .residPre(let i): "blocks.\(i).hook_resid_pre"
        case .ln1Scale(let i): "blocks.\(i).ln1.hook_scale"
        case .ln1Normalized(let i): "blocks.\(i).ln1.hook_normalized"
        case .q(let i): "blocks.\(i).attn.hook_q"
        case .k(let i): "blocks.\(i).attn.hook_k"
        case .v(let i): "blocks.\(i).attn.hook_v"
        case .qNormScale(let i): "blocks.\(i).attn.q_norm.hook_scale"
        case .qNormNormalized(let i): "blocks.\(i).attn.q_norm.hook_normalized"
        case .kNormScale(let i): "blocks.\(i).attn.k_norm.hook_scale"
        case .kNormNormalized(let i): "blocks.\(i).attn.k_norm.hook_normalized"
        case .rotQ(let i): "blocks.\(i).attn.hook_rot_q"
        case .rotK(let i): "blocks.\(i).attn.hook_rot_k"
        case .attnScores(let i): "blocks.\(i).attn.hook_attn_scores"
        case .pattern(let i): "blocks.\(i).attn.hook_pattern"
        case .z(let i): "blocks.\(i).attn.hook_z"
        case .ln1PostScale(let i): "blocks.\(i).ln1_post.hook_scale"
        case .ln1PostNormalized(let i): "blocks.\(i).ln1_post.hook_normalized"
        case .attnOut(let i): "blocks.\(i).hook_attn_out"
        case .residMid(let i): "blocks.\(i).hook_resid_mid"
        case .ln2Scale(let i): "blocks.\(i).ln2.hook_scale"
        case .ln2Normalized(let i): "blocks.\(i).ln2.hook_normalized"
        case .mlpPre(let i): "blocks.\(i).mlp.hook_pre"
        case .mlpPreLinear(let i): "blocks.\(i).mlp.hook_pre_linear"
        case .mlpPost(let i): "blocks.\(i).mlp.hook_post"
        case .ln2PostScale(let i): "blocks.\(i).ln2_post.hook_scale"
        case .ln2PostNormalized(let i): "blocks.\(i).ln2_post.hook_normalized"
        case .mlpOut(let i): "blocks.\(i).hook_mlp_out"
        case .residPost(let i): "blocks.\(i).hook_resid_post"
        case .lnFinalScale: "ln_final.hook_scale"
        case .lnFinalNormalized: "ln_final.hook_normalized"
        case .logits: "unembed.hook_out"
        }
    }

    public var description: String { name }

    /// The block the point belongs to, or nil for the embedding and the final layers.
    public var block: Int? {
        switch self {
        case .embed, .lnFinalScale, .lnFinalNormalized, .logits: nil
        case .residPre(let i), .ln1Scale(let i), .ln1Normalized(let i), .q(let i), .k(let i), .v(let i),
             .qNormScale(let i), .qNormNormalized(let i), .kNormScale(let i), .kNormNormalized(let i),
             .ln1PostScale(let i), .ln1PostNormalized(let i), .ln2PostScale(let i), .ln2PostNormalized(let i),
             .rotQ(let i), .rotK(let i), .attnScores(let i), .pattern(let i), .z(let i), .attnOut(let i),
             .residMid(let i), .ln2Scale(let i), .ln2Normalized(let i), .mlpPre(let i), .mlpPreLinear(let i),
             .mlpPost(let i), .mlpOut(let i), .residPost(let i): i
        }
    }

    /// Every hook point of a Llama model with `blocks` blocks, in the order the forward pass
    /// reaches them.
    public static func all(blocks: Int) -> [HookPoint] {
        all(blocks: blocks, queryKeyNorm: false, postNorms: false)
    }

    /// Every hook point of a model of this configuration (its architecture adds the q/k norm and
    /// post-norm points), in the order the forward pass reaches them.
    public static func all(_ configuration: ModelConfiguration) -> [HookPoint] {
        let a = configuration.architecture
        return all(blocks: configuration.blockCount, queryKeyNorm: a.queryKeyNorm, postNorms: a.postNorms)
    }

    /// Every hook point any architecture has (for reading a name without knowing the model).
    static func superset(blocks: Int) -> [HookPoint] {
        all(blocks: blocks, queryKeyNorm: true, postNorms: true)
    }

    private static func all(blocks: Int, queryKeyNorm: Bool, postNorms: Bool) -> [HookPoint] {
        var points: [HookPoint] = [.embed]
        for i in 0 ..< blocks {
            points += [.residPre(i), .ln1Scale(i), .ln1Normalized(i), .q(i), .k(i), .v(i)]
            if queryKeyNorm { points += [.qNormScale(i), .qNormNormalized(i), .kNormScale(i), .kNormNormalized(i)] }
            points += [.rotQ(i), .rotK(i), .attnScores(i), .pattern(i), .z(i)]
            if postNorms { points += [.ln1PostScale(i), .ln1PostNormalized(i)] }
            points += [.attnOut(i), .residMid(i), .ln2Scale(i), .ln2Normalized(i), .mlpPre(i), .mlpPreLinear(i),
                       .mlpPost(i)]
            if postNorms { points += [.ln2PostScale(i), .ln2PostNormalized(i)] }
            points += [.mlpOut(i), .residPost(i)]
        }
        return points + [.lnFinalScale, .lnFinalNormalized, .logits]
    }

    /// The point called `name` (`blocks.0.attn.hook_pattern`) in a model of `blocks` blocks
    /// (any architecture's names are read; `all(_:)` says which ones a model has).
    public init?(name: String, blocks: Int) {
        guard let point = HookPoint.superset(blocks: blocks).first(where: { $0.name == name }) else { return nil }
        self = point
    }
}

/// One activation as the forward pass hands it to a hook: where, what shape, which positions,
/// and the live buffer. Writing to `values` patches the activation: the forward pass continues
/// with what the hook leaves there.
public struct HookedActivation {
    public let point: HookPoint
    /// Dimensions, outermost first; `values.count` is their product.
    public let shape: [Int]
    /// Absolute positions of the T tokens of this call (the first query is at `positions.lowerBound`).
    public let positions: Range<Int>
    /// The activation, row-major. Valid only during the call.
    public let values: UnsafeMutableBufferPointer<Float>

    /// A copy of the values.
    public func copy() -> [Float] { Array(values) }
}

/// An observer of the forward pass: called at every hook point with the activation, which it
/// may read (cache) or overwrite (patch). Set it on an `InferenceSession`; when none is set
/// the forward pass only pays one nil check per point.
public protocol ForwardHooks: AnyObject {
    func visit(_ activation: HookedActivation)
}

/// Hooks given as a closure, for quick experiments and tests.
///
///     session.hooks = ClosureHooks { a in if a.point == .pattern(0) { cache = a.copy() } }
public final class ClosureHooks: ForwardHooks {
    private let body: (HookedActivation) -> Void

    public init(_ body: @escaping (HookedActivation) -> Void) {
        self.body = body
    }

    public func visit(_ activation: HookedActivation) {
        body(activation)
    }
}
