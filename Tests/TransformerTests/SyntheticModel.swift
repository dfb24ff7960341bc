import Foundation
import GGUF

/// A small random model written with `GGUFWriter` (2 blocks, d = 16, 4 heads sharing 2 KV
/// heads of 4 dimensions, d_ff = 32, V = 20), for tests that need no downloaded file.
/// `architecture` picks the family's tensors and keys (`llama`, `qwen2`, `qwen3`, `gemma3`,
/// `phi3`); `fused`: Phi-3's fused `attn_qkv` and gate+up (else separate tensors, which
/// llama.cpp also accepts). `edit` changes the writer before the file is written.
struct SyntheticModel {
    static let d = 16, heads = 4, kvHeads = 2, headDim = 4, ffn = 32, vocabulary = 20, blocks = 2

    let path: String

    init(architecture arch: String = "llama", tiedEmbedding: Bool = false, fused: Bool = true, seed: UInt64 = 1,
         kvHeads: Int = SyntheticModel.kvHeads, edit: (inout GGUFWriter) -> Void = { _ in }, skipTensor: String? = nil) throws {
        var w = GGUFWriter()
        w.set("general.architecture", .string(arch))
        w.set("\(arch).block_count", .uint32(UInt32(Self.blocks)))
        w.set("\(arch).embedding_length", .uint32(UInt32(Self.d)))
        w.set("\(arch).attention.head_count", .uint32(UInt32(Self.heads)))
        w.set("\(arch).attention.head_count_kv", .uint32(UInt32(kvHeads)))
        w.set("\(arch).feed_forward_length", .uint32(UInt32(Self.ffn)))
        w.set("\(arch).attention.layer_norm_rms_epsilon", .float32(1e-5))
        w.set("\(arch).context_length", .uint32(64))
        w.set("\(arch).rope.dimension_count", .uint32(UInt32(Self.headDim)))
        w.set("\(arch).vocab_size", .uint32(UInt32(Self.vocabulary)))
        var random = SplitMix(seed: seed)
        func add(_ name: String, _ shape: [Int], scale: Float = 0.3, offset: Float = 0) {
            guard name != skipTensor else { return }
            let values = (0 ..< shape.reduce(1, *)).map { _ in offset + scale * random.nextSigned() }
            w.addTensor(name: name, shape: shape, floats: values)
        }
        let (d, q, kv, f, v) = (Self.d, Self.heads * Self.headDim, kvHeads * Self.headDim, Self.ffn, Self.vocabulary)
        let isPhi3 = arch == "phi3", hasNorms = arch == "qwen3" || arch == "gemma3"
        add("token_embd.weight", [d, v], scale: 1)
        for i in 0 ..< Self.blocks {
            add("blk.\(i).attn_norm.weight", [d], scale: 0.1, offset: 1)
            if isPhi3 && fused {
                add("blk.\(i).attn_qkv.weight", [d, q + 2 * kv])
            } else {
                add("blk.\(i).attn_q.weight", [d, q])
                add("blk.\(i).attn_k.weight", [d, kv])
                add("blk.\(i).attn_v.weight", [d, kv])
            }
            if arch == "qwen2" {
                add("blk.\(i).attn_q.bias", [q])
                add("blk.\(i).attn_k.bias", [kv])
                add("blk.\(i).attn_v.bias", [kv])
            }
            if hasNorms {
                add("blk.\(i).attn_q_norm.weight", [Self.headDim], scale: 0.1, offset: 1)
                add("blk.\(i).attn_k_norm.weight", [Self.headDim], scale: 0.1, offset: 1)
            }
            add("blk.\(i).attn_output.weight", [q, d])
            if arch == "gemma3" { add("blk.\(i).post_attention_norm.weight", [d], scale: 0.1, offset: 1) }
            add("blk.\(i).ffn_norm.weight", [d], scale: 0.1, offset: 1)
            if isPhi3 && fused {
                add("blk.\(i).ffn_up.weight", [d, 2 * f])
            } else {
                add("blk.\(i).ffn_gate.weight", [d, f])
                add("blk.\(i).ffn_up.weight", [d, f])
            }
            add("blk.\(i).ffn_down.weight", [f, d])
            if arch == "gemma3" { add("blk.\(i).post_ffw_norm.weight", [d], scale: 0.1, offset: 1) }
        }
        add("output_norm.weight", [d], scale: 0.1, offset: 1)
        if !tiedEmbedding { add("output.weight", [d, v]) }
        edit(&w)
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("loupe-synthetic-\(UUID().uuidString).gguf").path
        try w.write(to: path)
    }
}

/// A tiny deterministic random source for test weights.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    mutating func nextSigned() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
}
