import Transformer

/// Switching off a part of the model to see what it did: one attention head, a block's whole
/// attention, or a block's MLP. Each becomes a `Patch` that writes zeros where that part's
/// output enters the residual stream (zero-ablation), so the rest of the pass runs without it.
public enum Ablation: Hashable, Sendable, CustomStringConvertible {
    /// Head `head` of block `layer`: its z is 0, so W_O adds nothing from it.
    case head(layer: Int, head: Int)
    /// The attention of block `layer`: attn_out is 0, so x ← x + 0.
    case attention(layer: Int)
    /// The MLP of block `layer`: mlp_out is 0.
    case mlp(layer: Int)

    public var layer: Int {
        switch self {
        case .head(let layer, _), .attention(let layer), .mlp(let layer): layer
        }
    }

    /// The patch that performs the ablation.
    public var patch: Patch {
        switch self {
        case .head(let layer, let head): .zeroHead(layer: layer, head: head)
        case .attention(let layer): .fill(.attnOut(layer), with: 0)
        case .mlp(let layer): .fill(.mlpOut(layer), with: 0)
        }
    }

    /// `head 3.5`, `attn 3`, `mlp 3`: the REPL's words.
    public var description: String {
        switch self {
        case .head(let layer, let head): "head \(layer).\(head)"
        case .attention(let layer): "attn \(layer)"
        case .mlp(let layer): "mlp \(layer)"
        }
    }

    /// Checks the layer and head against the model's sizes.
    public func validate(blocks: Int, heads: Int) throws(InspectError) {
        guard layer >= 0, layer < blocks else { throw InspectError("layer \(layer) is not in 0…\(blocks - 1)") }
        if case .head(_, let head) = self, head < 0 || head >= heads {
            throw InspectError("head \(head) is not in 0…\(heads - 1)")
        }
    }
}
