import Foundation
import GGUF
import Kernels

/// What a model family does differently from Llama, as data the one forward pass consults at
/// named steps (see ForwardPass.swift): Llama is the description with every option off.
///
/// Filled from the GGUF file (`general.architecture`, the `ARCH.*` keys and which tensors are
/// present), following llama.cpp's graphs (src/models/{llama,qwen2,qwen3,gemma3,phi3}.cpp):
///
/// | option                | llama | qwen2 | qwen3 | gemma3 | phi3 |
/// |-----------------------|-------|-------|-------|--------|------|
/// | q/k/v biases          |       |   ✓   |       |        |      |
/// | fused qkv             |       |       |       |        |  ✓   |
/// | q/k RMSNorm per head  |       |       |   ✓   |   ✓    |      |
/// | post-norms            |       |       |       |   ✓    |      |
/// | MLP activation        | SiLU  | SiLU  | SiLU  | GELU-tanh | SiLU |
/// | fused gate+up         |       |       |       |        |  ✓   |
/// | embedding × √d        |       |       |       |   ✓    |      |
/// | sliding window        |       |       |       |   ✓    |      |
///
/// As in llama.cpp, a fused `attn_qkv` and q/k/v biases are used in any family whose file has
/// them (the table gives the usual files). RoPE (pairing, base, scaling, frequency factors) is
/// `ModelConfiguration.rope`.
public struct Architecture: Sendable, Equatable, CustomStringConvertible {
    /// The gated MLP's nonlinearity, applied to the gate branch.
    public enum Activation: String, Sendable {
        /// x · σ(x) (Llama, Qwen, Phi-3).
        case silu = "SiLU"
        /// GELU, tanh approximation, as ggml's `ggml_gelu` (Gemma).
        case geluTanh = "GELU-tanh"
    }

    /// Sliding-window attention on some layers: a query at position p sees only keys at p' with
    /// p − p' < size. Local layers have their own RoPE base.
    public struct SlidingWindow: Sendable, Equatable {
        /// Keys a query sees on a local layer, itself included (`ARCH.attention.sliding_window`).
        public var size: Int
        /// isLocal[l]: block l uses the window (`attention.sliding_window_pattern`, default: every
        /// 6th block from the 6th is global).
        public var isLocal: [Bool]
        /// θ base of RoPE on local layers (`ARCH.rope.freq_base_swa`, default 10000).
        public var ropeBase: Float

        public init(size: Int, isLocal: [Bool], ropeBase: Float) {
            self.size = size
            self.isLocal = isLocal
            self.ropeBase = ropeBase
        }
    }

    /// `general.architecture`: `llama`, `qwen2`, `qwen3`, `gemma3` or `phi3`.
    public var name: String
    /// q, k and v have biases (`blk.i.attn_{q,k,v}.bias` or `attn_qkv.bias`), added after the
    /// projections (Qwen 2).
    public var attentionBiases: Bool
    /// W_Q, W_K, W_V are one tensor `blk.i.attn_qkv.weight`, rows q then k then v (Phi-3).
    public var fusedQKV: Bool
    /// Each query and key head goes through an RMSNorm (weights [d_head]) before RoPE (Qwen 3, Gemma 3).
    public var queryKeyNorm: Bool
    /// The attention and MLP outputs go through an RMSNorm before the residual add (Gemma 2/3).
    public var postNorms: Bool
    /// The MLP's gate nonlinearity.
    public var activation: Activation
    /// W_gate and W_up are one tensor `blk.i.ffn_up.weight`, rows gate then up (Phi-3).
    public var fusedGateUp: Bool
    /// Token embeddings are multiplied by this before the first block (√d for Gemma, else 1).
    public var embeddingScale: Float
    /// Attention scores are q·k times this: 1/√d_head (d_head = `attention.key_length`).
    public var attentionScale: Float
    /// Sliding-window attention on local layers (Gemma 3), or nil.
    public var slidingWindow: SlidingWindow?
    /// The file has no `output.weight`: the unembedding is the embedding matrix.
    public var tiedOutput: Bool
    /// Logits are capped to (−c, c) by c · tanh(logit / c) (`final_logit_softcapping`), or nil.
    public var logitSoftcap: Float?

    /// Llama: every option off, SiLU, scale 1/√d_head.
    public static func llama(headDimension: Int, tiedOutput: Bool = false) -> Architecture {
        Architecture(name: "llama", attentionBiases: false, fusedQKV: false, queryKeyNorm: false, postNorms: false,
                     activation: .silu, fusedGateUp: false, embeddingScale: 1,
                     attentionScale: 1 / Float(headDimension).squareRoot(), slidingWindow: nil,
                     tiedOutput: tiedOutput, logitSoftcap: nil)
    }

    /// The architectures Loupe runs, as `general.architecture` names them.
    public static let supported = ["llama", "qwen2", "qwen3", "gemma3", "phi3"]

    /// Whether block `i` attends through the sliding window.
    public func isLocal(block i: Int) -> Bool { slidingWindow?.isLocal[i] ?? false }

    /// The window of block `i` (keys a query sees, itself included), or nil when it sees all.
    public func window(block i: Int) -> Int? { isLocal(block: i) ? slidingWindow?.size : nil }

    /// The description in words, as `loupe info` prints it.
    public var description: String { features.joined(separator: ", ") }

    /// Each option that is on, in words, in the order the forward pass meets them.
    public var features: [String] {
        var words: [String] = []
        if embeddingScale != 1 { words.append("embeddings × \(format(embeddingScale)) (√d)") }
        words.append(fusedQKV ? "fused qkv" : "separate q/k/v")
        if attentionBiases { words.append("q/k/v biases") }
        if queryKeyNorm { words.append("q/k RMSNorm") }
        words.append("attention scale \(format(attentionScale))")
        if let window = slidingWindow {
            let local = window.isLocal.filter { $0 }.count
            words.append("sliding window \(window.size) on \(local) of \(window.isLocal.count) layers"
                         + " (local RoPE base \(format(window.ropeBase)))")
        }
        words.append("\(activation.rawValue) gate" + (fusedGateUp ? " (fused gate+up)" : ""))
        if postNorms { words.append("post-norms after attention and MLP") }
        words.append(tiedOutput ? "tied output" : "own output matrix")
        if let cap = logitSoftcap { words.append("logit softcap \(format(cap))") }
        return words
    }
}

/// A short decimal: 0.0625, 25.3, 10000.
func format(_ value: Float) -> String {
    if value == value.rounded(), abs(value) < 1e9 { return String(Int(value)) }
    var text = String(format: "%.4g", Double(value))
    if text.contains("e") { text = "\(value)" }
    return text
}
