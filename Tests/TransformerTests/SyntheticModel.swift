import Foundation
import GGUF

/// A small random Llama model written with `GGUFWriter` (2 blocks, d = 16, 4 heads sharing
/// 2 KV heads of 4 dimensions, d_ff = 32, V = 20), for tests that need no downloaded file.
/// `edit` changes the writer before the file is written (to break it on purpose).
struct SyntheticModel {
    static let d = 16, heads = 4, kvHeads = 2, headDim = 4, ffn = 32, vocabulary = 20, blocks = 2

    let path: String

    init(tiedEmbedding: Bool = false, edit: (inout GGUFWriter) -> Void = { _ in },
         skipTensor: String? = nil) throws {
        var w = GGUFWriter()
        w.set("general.architecture", .string("llama"))
        w.set("llama.block_count", .uint32(UInt32(Self.blocks)))
        w.set("llama.embedding_length", .uint32(UInt32(Self.d)))
        w.set("llama.attention.head_count", .uint32(UInt32(Self.heads)))
        w.set("llama.attention.head_count_kv", .uint32(UInt32(Self.kvHeads)))
        w.set("llama.feed_forward_length", .uint32(UInt32(Self.ffn)))
        w.set("llama.attention.layer_norm_rms_epsilon", .float32(1e-5))
        w.set("llama.context_length", .uint32(64))
        w.set("llama.rope.dimension_count", .uint32(UInt32(Self.headDim)))
        w.set("llama.vocab_size", .uint32(UInt32(Self.vocabulary)))
        var random = SplitMix(seed: 1)
        func add(_ name: String, _ shape: [Int], scale: Float = 0.3, offset: Float = 0) {
            guard name != skipTensor else { return }
            let values = (0 ..< shape.reduce(1, *)).map { _ in offset + scale * random.nextSigned() }
            w.addTensor(name: name, shape: shape, floats: values)
        }
        let (d, q, kv, f, v) = (Self.d, Self.heads * Self.headDim, Self.kvHeads * Self.headDim, Self.ffn, Self.vocabulary)
        add("token_embd.weight", [d, v], scale: 1)
        for i in 0 ..< Self.blocks {
            add("blk.\(i).attn_norm.weight", [d], scale: 0.1, offset: 1)
            add("blk.\(i).attn_q.weight", [d, q])
            add("blk.\(i).attn_k.weight", [d, kv])
            add("blk.\(i).attn_v.weight", [d, kv])
            add("blk.\(i).attn_output.weight", [q, d])
            add("blk.\(i).ffn_norm.weight", [d], scale: 0.1, offset: 1)
            add("blk.\(i).ffn_gate.weight", [d, f])
            add("blk.\(i).ffn_up.weight", [d, f])
            add("blk.\(i).ffn_down.weight", [f, d])
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
