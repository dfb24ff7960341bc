import GGUF
import Kernels

/// The weights of one transformer block, bound by name to the bytes of the mapped file.
///
/// Shapes as the forward pass uses them, `[rows, columns]` (GGUF stores `[columns, rows]`).
/// Optional tensors are nil when the architecture does not have them (see `Architecture`).
public struct BlockWeights: @unchecked Sendable {
    /// γ of the RMSNorm before attention (`blk.i.attn_norm.weight`).   [d]
    public let attentionNorm: UnsafeBufferPointer<Float>
    /// W_Q (`blk.i.attn_q.weight`, or rows 0 ..< h·d_head of `blk.i.attn_qkv.weight`).   [h · d_head, d]
    public let query: WeightMatrix
    /// W_K (`blk.i.attn_k.weight`, or the next h_kv·d_head rows of `attn_qkv`).   [h_kv · d_head, d]
    public let key: WeightMatrix
    /// W_V (`blk.i.attn_v.weight`, or the last h_kv·d_head rows of `attn_qkv`).   [h_kv · d_head, d]
    public let value: WeightMatrix
    /// Biases of q, k and v (`blk.i.attn_{q,k,v}.bias` or parts of `attn_qkv.bias`; Qwen 2 has
    /// all three), each nil when absent; nil when the block has none.
    /// [h · d_head], [h_kv · d_head], [h_kv · d_head]
    public let queryKeyValueBias: [UnsafeBufferPointer<Float>?]?
    /// γ of the RMSNorms of each query head and each key head (`blk.i.attn_{q,k}_norm.weight`,
    /// Qwen 3 and Gemma 3), or nil.   [d_head]
    public let queryNorm: UnsafeBufferPointer<Float>?
    public let keyNorm: UnsafeBufferPointer<Float>?
    /// W_O (`blk.i.attn_output.weight`).   [d, h · d_head]
    public let attentionOutput: WeightMatrix
    /// Bias of W_O (`blk.i.attn_output.bias`), or nil.   [d]
    public let attentionOutputBias: UnsafeBufferPointer<Float>?
    /// γ of the RMSNorm of the attention output (`blk.i.post_attention_norm.weight`, Gemma), or nil.   [d]
    public let postAttentionNorm: UnsafeBufferPointer<Float>?
    /// γ of the RMSNorm before the MLP (`blk.i.ffn_norm.weight`).   [d]
    public let mlpNorm: UnsafeBufferPointer<Float>
    /// W_gate (`blk.i.ffn_gate.weight`, or rows 0 ..< d_ff of Phi-3's `ffn_up`), goes through the
    /// activation.   [d_ff, d]
    public let gate: WeightMatrix
    /// W_up (`blk.i.ffn_up.weight`, or rows d_ff ..< 2·d_ff of Phi-3's).   [d_ff, d]
    public let up: WeightMatrix
    /// W_down (`blk.i.ffn_down.weight`).   [d, d_ff]
    public let down: WeightMatrix
    /// γ of the RMSNorm of the MLP output (`blk.i.post_ffw_norm.weight`, Gemma), or nil.   [d]
    public let postMLPNorm: UnsafeBufferPointer<Float>?
    /// [W_Q, W_K, W_V]: the three projections of the same input, multiplied in one backend call.
    public let queryKeyValue: [WeightMatrix]
    /// [W_gate, W_up]: the two MLP branches of the same input, multiplied in one backend call.
    public let gateUp: [WeightMatrix]

    init(attentionNorm: UnsafeBufferPointer<Float>, query: WeightMatrix, key: WeightMatrix, value: WeightMatrix,
         queryKeyValueBias: [UnsafeBufferPointer<Float>?]? = nil, queryNorm: UnsafeBufferPointer<Float>? = nil,
         keyNorm: UnsafeBufferPointer<Float>? = nil, attentionOutput: WeightMatrix,
         attentionOutputBias: UnsafeBufferPointer<Float>? = nil, postAttentionNorm: UnsafeBufferPointer<Float>? = nil,
         mlpNorm: UnsafeBufferPointer<Float>, gate: WeightMatrix, up: WeightMatrix, down: WeightMatrix,
         postMLPNorm: UnsafeBufferPointer<Float>? = nil) {
        self.attentionNorm = attentionNorm
        self.query = query
        self.key = key
        self.value = value
        self.queryKeyValueBias = queryKeyValueBias
        self.queryNorm = queryNorm
        self.keyNorm = keyNorm
        self.attentionOutput = attentionOutput
        self.attentionOutputBias = attentionOutputBias
        self.postAttentionNorm = postAttentionNorm
        self.mlpNorm = mlpNorm
        self.gate = gate
        self.up = up
        self.down = down
        self.postMLPNorm = postMLPNorm
        queryKeyValue = [query, key, value]
        gateUp = [gate, up]
    }
}

/// All the weights of a model. Nothing is copied: matrices point into the mapped file, which
/// the owning `Model` keeps alive.
public struct ModelWeights: @unchecked Sendable {
    /// W_E (`token_embd.weight`): one row per token.   [V, d]
    public let tokenEmbedding: WeightMatrix
    public let blocks: [BlockWeights]
    /// γ of the final RMSNorm (`output_norm.weight`).   [d]
    public let outputNorm: UnsafeBufferPointer<Float>
    /// W_U (`output.weight`, or `token_embd.weight` when the embedding is tied).   [V, d]
    public private(set) var unembedding: WeightMatrix
    /// Bias of the unembedding (`output.bias`), or nil.   [V]
    public let unembeddingBias: UnsafeBufferPointer<Float>?
    /// True when the file has no `output.weight` and the embedding doubles as the unembedding.
    public let tiedEmbedding: Bool
    /// RoPE frequency factors of every layer (`rope_freqs.weight`, Llama 3.1/3.2), or nil.   [n_rot / 2]
    public let ropeFrequencyFactors: [Float]?
    /// Phi-3's long-context RoPE factors (`rope_factors_short.weight` up to the original context,
    /// `rope_factors_long.weight` beyond), or nil.   [n_rot / 2]
    public let ropeFactorsShort: [Float]?
    public let ropeFactorsLong: [Float]?

    /// Binds and checks every tensor the forward pass reads: present, of the shape the
    /// configuration implies, of a type Loupe computes. Throws before any arithmetic.
    public init(file: GGUFFile, configuration c: ModelConfiguration) throws(ModelError) {
        let binder = TensorBinder(file: file)
        let a = c.architecture
        let d = c.embeddingLength
        tokenEmbedding = try binder.matrix("token_embd.weight", rows: c.vocabularySize, columns: d)
        var blocks: [BlockWeights] = []
        for i in 0 ..< c.blockCount {
            let prefix = "blk.\(i)."
            let query, key, value: WeightMatrix
            var bias: [UnsafeBufferPointer<Float>?]?
            if a.fusedQKV {
                // Phi-3: one matrix, rows q then k then v.
                let qkv = try binder.matrix(prefix + "attn_qkv.weight", rows: c.queryWidth + 2 * c.kvWidth, columns: d)
                query = qkv.rows(0, c.queryWidth)
                key = qkv.rows(c.queryWidth, c.kvWidth)
                value = qkv.rows(c.queryWidth + c.kvWidth, c.kvWidth)
                bias = try binder.optionalVector(prefix + "attn_qkv.bias", count: c.queryWidth + 2 * c.kvWidth).map { b in
                    [UnsafeBufferPointer(rebasing: b[0 ..< c.queryWidth]),
                     UnsafeBufferPointer(rebasing: b[c.queryWidth ..< c.queryWidth + c.kvWidth]),
                     UnsafeBufferPointer(rebasing: b[(c.queryWidth + c.kvWidth)...])]
                }
                if bias == nil {
                    bias = try binder.biases(prefix, [("attn_q.bias", c.queryWidth),
                                                      ("attn_k.bias", c.kvWidth), ("attn_v.bias", c.kvWidth)])
                }
            } else {
                query = try binder.matrix(prefix + "attn_q.weight", rows: c.queryWidth, columns: d)
                key = try binder.matrix(prefix + "attn_k.weight", rows: c.kvWidth, columns: d)
                value = try binder.matrix(prefix + "attn_v.weight", rows: c.kvWidth, columns: d)
                bias = try binder.biases(prefix, [("attn_q.bias", c.queryWidth),
                                                  ("attn_k.bias", c.kvWidth), ("attn_v.bias", c.kvWidth)])
            }
            let gate, up: WeightMatrix
            if a.fusedGateUp {
                // Phi-3: `ffn_up` holds gate rows then up rows.
                let both = try binder.matrix(prefix + "ffn_up.weight", rows: 2 * c.feedForwardLength, columns: d)
                gate = both.rows(0, c.feedForwardLength)
                up = both.rows(c.feedForwardLength, c.feedForwardLength)
            } else {
                gate = try binder.matrix(prefix + "ffn_gate.weight", rows: c.feedForwardLength, columns: d)
                up = try binder.matrix(prefix + "ffn_up.weight", rows: c.feedForwardLength, columns: d)
            }
            let headNorm = { (name: String) throws(ModelError) -> UnsafeBufferPointer<Float>? in
                a.queryKeyNorm ? try binder.vector(prefix + name, count: c.headDimension) : nil
            }
            let postNorm = { (name: String) throws(ModelError) -> UnsafeBufferPointer<Float>? in
                a.postNorms ? try binder.vector(prefix + name, count: d) : nil
            }
            blocks.append(BlockWeights(
                attentionNorm: try binder.vector(prefix + "attn_norm.weight", count: d),
                query: query, key: key, value: value, queryKeyValueBias: bias,
                queryNorm: try headNorm("attn_q_norm.weight"), keyNorm: try headNorm("attn_k_norm.weight"),
                attentionOutput: try binder.matrix(prefix + "attn_output.weight", rows: d, columns: c.queryWidth),
                attentionOutputBias: try binder.optionalVector(prefix + "attn_output.bias", count: d),
                postAttentionNorm: try postNorm("post_attention_norm.weight"),
                mlpNorm: try binder.vector(prefix + "ffn_norm.weight", count: d),
                gate: gate, up: up,
                down: try binder.matrix(prefix + "ffn_down.weight", rows: d, columns: c.feedForwardLength),
                postMLPNorm: try postNorm("post_ffw_norm.weight")))
        }
        self.blocks = blocks
        outputNorm = try binder.vector("output_norm.weight", count: d)
        if file.tensor(named: "output.weight") != nil {
            unembedding = try binder.matrix("output.weight", rows: c.vocabularySize, columns: d)
            tiedEmbedding = false
        } else {
            unembedding = tokenEmbedding
            tiedEmbedding = true
        }
        // The logits see float activations (`WeightMatrix.keepsFloatActivations`).
        unembedding.keepsFloatActivations = true
        unembeddingBias = try binder.optionalVector("output.bias", count: c.vocabularySize)
        let pairs = c.rope.dimensions / 2
        ropeFrequencyFactors = try binder.optionalVector("rope_freqs.weight", count: pairs).map(Array.init)
        ropeFactorsShort = try binder.optionalVector("rope_factors_short.weight", count: pairs).map(Array.init)
        ropeFactorsLong = try binder.optionalVector("rope_factors_long.weight", count: pairs).map(Array.init)
        try binder.refuseUnusedBiases(blocks: c.blockCount)
    }
}

extension WeightMatrix {
    /// Rows `start ..< start + count` of this matrix, in place (a part of a fused tensor: each
    /// row is whole blocks, so a row range is a run of bytes).
    func rows(_ start: Int, _ count: Int) -> WeightMatrix {
        WeightMatrix(name: name, type: type, rows: count, columns: columns, data: row(start))
    }
}

/// Finds tensors by name and checks them against the shape the configuration expects.
private struct TensorBinder {
    let file: GGUFFile

    /// A weight matrix `[rows, columns]` (GGUF shape `[columns, rows]`) of a computable type.
    func matrix(_ name: String, rows: Int, columns: Int) throws(ModelError) -> WeightMatrix {
        guard let info = file.tensor(named: name) else {
            throw ModelError(file: file.path, kind: .missingTensor(name))
        }
        guard info.type.isComputable else {
            throw ModelError(file: file.path, kind: .uncomputableType(tensor: name, type: info.type, offset: info.fileOffset))
        }
        return WeightMatrix(file: file, tensor: try find(name, shape: [columns, rows]))
    }

    /// A 1-D F32 tensor of `count` values (the norm weights; llama.cpp keeps them F32 in every
    /// quantization).
    func vector(_ name: String, count: Int) throws(ModelError) -> UnsafeBufferPointer<Float> {
        let info = try find(name, shape: [count])
        guard info.type == .f32 else {
            throw ModelError(file: file.path, kind: .unsupportedFeature(
                "tensor '\(name)' has type \(info.type) at offset \(info.fileOffset); norm weights must be F32"))
        }
        return file.floats(of: info)
    }

    /// An F32 vector `name` of `count` values, or nil when the file has no such tensor.
    func optionalVector(_ name: String, count: Int) throws(ModelError) -> UnsafeBufferPointer<Float>? {
        file.tensor(named: name) == nil ? nil : try vector(name, count: count)
    }

    /// The biases `prefix + name`, each nil when absent, or nil when none is present.
    func biases(_ prefix: String, _ parts: [(String, Int)]) throws(ModelError) -> [UnsafeBufferPointer<Float>?]? {
        guard parts.contains(where: { file.tensor(named: prefix + $0.0) != nil }) else { return nil }
        var all: [UnsafeBufferPointer<Float>?] = []
        for (name, count) in parts { all.append(try optionalVector(prefix + name, count: count)) }
        return all
    }

    /// Refuses a bias the forward pass would not add (an MLP bias), rather than ignoring it.
    func refuseUnusedBiases(blocks: Int) throws(ModelError) {
        let used = ["attn_q.bias", "attn_k.bias", "attn_v.bias", "attn_qkv.bias", "attn_output.bias"]
        for info in file.tensors where info.name.hasSuffix(".bias") && info.name != "output.bias" {
            let isUsed = (0 ..< blocks).contains { i in used.contains { "blk.\(i).\($0)" == info.name } }
            if !isUsed {
                throw ModelError(file: file.path, kind: .unsupportedFeature(
                    "tensor '\(info.name)' (a bias) is not supported by Loupe's forward pass"))
            }
        }
    }

    private func find(_ name: String, shape: [Int]) throws(ModelError) -> GGUFTensorInfo {
        guard let info = file.tensor(named: name) else {
            throw ModelError(file: file.path, kind: .missingTensor(name))
        }
        // Trailing dimensions of 1 are the same shape (`[d]` may be stored as `[d, 1]`).
        var found = info.shape
        while found.count > shape.count, found.last == 1 { found.removeLast() }
        guard found == shape else {
            throw ModelError(file: file.path, kind: .wrongShape(tensor: name, expected: shape, found: info.shape))
        }
        return info
    }
}
