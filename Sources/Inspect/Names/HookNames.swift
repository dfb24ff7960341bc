import Foundation
import Transformer

// Three ways to name a hook point, all accepted wherever Loupe asks for one:
//
//   TransformerLens          blocks.3.attn.hook_pattern      (HookPoint.name)
//   TransformerLens shorthand  pattern 3 · ("pattern", 3) · pattern3 · normalized 3 ln2
//   llama.cpp graph node     kq_soft_max-3                   (the names of ggml's eval-callback)

/// Why a hook name could not be understood.
public struct HookNameError: Error, Sendable, Equatable, CustomStringConvertible {
    public let name: String
    public let blocks: Int

    public init(name: String, blocks: Int) {
        self.name = name
        self.blocks = blocks
    }

    public var description: String {
        "unknown hook point '\(name)'; use a TransformerLens name (blocks.0.attn.hook_pattern), "
            + "a shorthand (pattern 0, resid_post 3, (\"q\", 1)), a llama.cpp node (kq_soft_max-0, l_out-3) "
            + "or a glob (blocks.*.hook_resid_post); blocks are 0…\(blocks - 1)"
    }
}

extension HookPoint {
    /// The point a name designates, in a model of `blocks` blocks: a TransformerLens name,
    /// a TransformerLens shorthand, or a llama.cpp node name. Nil when it is none of them.
    public static func named(_ text: String, blocks: Int) -> HookPoint? {
        let name = text.trimmingCharacters(in: .whitespaces)
        if let point = HookPoint(name: name, blocks: blocks) { return point }
        if let point = llamaCppNode(name, blocks: blocks) { return point }
        return shorthand(name, blocks: blocks)
    }

    /// The llama.cpp graph node name of the point (`kq_soft_max-3`), or nil when llama.cpp's
    /// Llama graph has no node for it. (llama.cpp's `attn_norm`, `ffn_norm` and `result_norm`
    /// include the γ weights; Loupe's `hook_normalized` is before them.)
    public var llamaCppName: String? {
        let node = llamaCppNodeNames.first { llamaCppPoint($0, block ?? -1) == self }
        return node.map { name in block.map { "\(name)-\($0)" } ?? name }
    }

    /// TransformerLens shorthand (`utils.get_act_name`): the short name, then the block,
    /// then for `scale` / `normalized` the layer (`ln1`, `ln2`; default `ln1`).
    private static func shorthand(_ text: String, blocks: Int) -> HookPoint? {
        // ("pattern", 3) and pattern,3 and pattern 3 all become [pattern, 3].
        let separators: Set<Character> = [" ", ",", "(", ")", "\"", "'", "\t"]
        var words = text.split(whereSeparator: { separators.contains($0) }).map(String.init)
        // pattern3 → [pattern, 3]; scale4ln1 → [scale, 4, ln1]
        if words.count == 1, let split = splitTrailingNumber(words[0]) { words = split }
        guard let short = words.first?.lowercased() else { return nil }
        if words.count == 1 {
            switch short {
            case "embed", "hook_embed", "inp_embd": return .embed
            case "logits", "unembed": return .logits
            case "ln_final", "normalized_final": return .lnFinalNormalized
            case "scale_final": return .lnFinalScale
            default: return nil
            }
        }
        guard let block = Int(words[1]), block >= 0, block < blocks else { return nil }
        let layer = words.count > 2 ? words[2].lowercased() : "ln1"
        switch short {
        case "resid_pre": return .residPre(block)
        case "resid_mid": return .residMid(block)
        case "resid_post": return .residPost(block)
        case "attn_out": return .attnOut(block)
        case "mlp_out": return .mlpOut(block)
        case "q": return .q(block)
        case "k": return .k(block)
        case "v": return .v(block)
        case "rot_q": return .rotQ(block)
        case "rot_k": return .rotK(block)
        case "z": return .z(block)
        case "attn_scores", "scores": return .attnScores(block)
        case "pattern", "attn", "attention": return .pattern(block)
        case "pre", "mlp_pre": return .mlpPre(block)
        case "pre_linear", "mlp_pre_linear": return .mlpPreLinear(block)
        case "post", "mlp_post": return .mlpPost(block)
        case "scale", "normalized":
            let scale = short == "scale"
            switch layer {
            case "ln2": return scale ? .ln2Scale(block) : .ln2Normalized(block)
            case "ln1_post": return scale ? .ln1PostScale(block) : .ln1PostNormalized(block)
            case "ln2_post": return scale ? .ln2PostScale(block) : .ln2PostNormalized(block)
            case "q_norm": return scale ? .qNormScale(block) : .qNormNormalized(block)
            case "k_norm": return scale ? .kNormScale(block) : .kNormNormalized(block)
            default: return scale ? .ln1Scale(block) : .ln1Normalized(block)
            }
        default: return nil
        }
    }

    /// `pattern3` → ["pattern", "3"], `scale4ln1` → ["scale", "4", "ln1"]; nil without digits.
    private static func splitTrailingNumber(_ word: String) -> [String]? {
        guard let start = word.firstIndex(where: \.isNumber), start != word.startIndex else { return nil }
        let end = word[start...].firstIndex(where: { !$0.isNumber }) ?? word.endIndex
        var parts = [String(word[..<start]), String(word[start ..< end])]
        if end != word.endIndex { parts.append(String(word[end...])) }
        return parts
    }

    /// `attn_norm-3`, `l_out-3`, `result_output`: the names llama.cpp's Llama graph gives its nodes
    /// (src/models/llama.cpp and src/llama-graph.cpp, `cb(cur, name, il)`).
    private static func llamaCppNode(_ text: String, blocks: Int) -> HookPoint? {
        var node = text
        var block = -1
        if let dash = text.lastIndex(of: "-"), let i = Int(text[text.index(after: dash)...]) {
            node = String(text[..<dash])
            block = i
            guard block >= 0, block < blocks else { return nil }
        }
        guard let point = llamaCppPoint(node, block) else { return nil }
        // Per-block nodes need "-i"; model-wide ones must not have it.
        guard (point.block == nil) == (block == -1) else { return nil }
        return point
    }
}

/// The node names llama.cpp's graphs use (Llama's, plus Qwen 3's and Gemma 3's norms), in graph order.
private let llamaCppNodeNames = [
    "inp_embd", "attn_norm", "Qcur_normed", "Kcur_normed", "Qcur", "Kcur", "Vcur", "kq", "kq_soft_max", "kqv_out",
    "attn_post_norm", "attn_out", "ffn_inp", "ffn_norm", "ffn_gate", "ffn_up", "ffn_swiglu", "ffn_post_norm", "ffn_out",
    "l_out", "result_norm", "result_output",
]

/// llama.cpp node → hook point (`block` is −1 for model-wide nodes).
/// llama.cpp names both the MLP output and the residual after it `ffn_out`; it is read as the
/// MLP output here (the residual after it is `l_out`). `Qcur`/`Kcur` are logged after RoPE.
private func llamaCppPoint(_ node: String, _ block: Int) -> HookPoint? {
    switch node {
    case "inp_embd": .embed
    case "attn_norm": .ln1Normalized(block)
    case "Qcur_normed": .qNormNormalized(block)
    case "Kcur_normed": .kNormNormalized(block)
    case "attn_post_norm": .ln1PostNormalized(block)
    case "ffn_post_norm": .ln2PostNormalized(block)
    case "Qcur": .rotQ(block)
    case "Kcur": .rotK(block)
    case "Vcur": .v(block)
    case "kq": .attnScores(block)
    case "kq_soft_max": .pattern(block)
    case "kqv_out": .z(block)
    case "attn_out": .attnOut(block)
    case "ffn_inp": .residMid(block)
    case "ffn_norm": .ln2Normalized(block)
    case "ffn_gate": .mlpPre(block)
    case "ffn_up": .mlpPreLinear(block)
    case "ffn_swiglu": .mlpPost(block)
    case "ffn_out": .mlpOut(block)
    case "l_out": .residPost(block)
    case "result_norm": .lnFinalNormalized
    case "result_output": .logits
    default: nil
    }
}
