import GGUF
import Kernels

/// The weights of one transformer block, bound by name to the bytes of the mapped file.
///
/// Shapes as the forward pass uses them, `[rows, columns]` (GGUF stores `[columns, rows]`):
public struct BlockWeights: @unchecked Sendable {
    /// γ of the RMSNorm before attention (`blk.i.attn_norm.weight`).   [d]
    public let attentionNorm: UnsafeBufferPointer<Float>
    /// W_Q (`blk.i.attn_q.weight`).   [h · d_head, d]
    public let query: WeightMatrix
    /// W_K (`blk.i.attn_k.weight`).   [h_kv · d_head, d]
    public let key: WeightMatrix
    /// W_V (`blk.i.attn_v.weight`).   [h_kv · d_head, d]
    public let value: WeightMatrix
    /// W_O (`blk.i.attn_output.weight`).   [d, h · d_head]
    public let attentionOutput: WeightMatrix
    /// γ of the RMSNorm before the MLP (`blk.i.ffn_norm.weight`).   [d]
    public let mlpNorm: UnsafeBufferPointer<Float>
    /// W_gate (`blk.i.ffn_gate.weight`), goes through SiLU.   [d_ff, d]
    public let gate: WeightMatrix
    /// W_up (`blk.i.ffn_up.weight`).   [d_ff, d]
    public let up: WeightMatrix
    /// W_down (`blk.i.ffn_down.weight`).   [d, d_ff]
    public let down: WeightMatrix
    /// [W_Q, W_K, W_V]: the three projections of the same input, multiplied in one backend call.
    public let queryKeyValue: [WeightMatrix]
    /// [W_gate, W_up]: the two MLP branches of the same input, multiplied in one backend call.
    public let gateUp: [WeightMatrix]

    init(attentionNorm: UnsafeBufferPointer<Float>, query: WeightMatrix, key: WeightMatrix, value: WeightMatrix,
         attentionOutput: WeightMatrix, mlpNorm: UnsafeBufferPointer<Float>, gate: WeightMatrix, up: WeightMatrix,
         down: WeightMatrix) {
        self.attentionNorm = attentionNorm
        self.query = query
        self.key = key
        self.value = value
        self.attentionOutput = attentionOutput
        self.mlpNorm = mlpNorm
        self.gate = gate
        self.up = up
        self.down = down
        queryKeyValue = [query, key, value]
        gateUp = [gate, up]
    }
}

/// All the weights of a Llama model. Nothing is copied: matrices point into the mapped file,
/// which the owning `Model` keeps alive.
public struct ModelWeights: @unchecked Sendable {
    /// W_E (`token_embd.weight`): one row per token.   [V, d]
    public let tokenEmbedding: WeightMatrix
    public let blocks: [BlockWeights]
    /// γ of the final RMSNorm (`output_norm.weight`).   [d]
    public let outputNorm: UnsafeBufferPointer<Float>
    /// W_U (`output.weight`, or `token_embd.weight` when the embedding is tied).   [V, d]
    public let unembedding: WeightMatrix
    /// True when the file has no `output.weight` and the embedding doubles as the unembedding.
    public let tiedEmbedding: Bool

    /// Binds and checks every tensor the forward pass reads: present, of the shape the
    /// configuration implies, of a type Loupe computes. Throws before any arithmetic.
    public init(file: GGUFFile, configuration c: ModelConfiguration) throws(ModelError) {
        let binder = TensorBinder(file: file)
        let d = c.embeddingLength
        tokenEmbedding = try binder.matrix("token_embd.weight", rows: c.vocabularySize, columns: d)
        var blocks: [BlockWeights] = []
        for i in 0 ..< c.blockCount {
            let prefix = "blk.\(i)."
            blocks.append(BlockWeights(
                attentionNorm: try binder.vector(prefix + "attn_norm.weight", count: d),
                query: try binder.matrix(prefix + "attn_q.weight", rows: c.queryWidth, columns: d),
                key: try binder.matrix(prefix + "attn_k.weight", rows: c.kvWidth, columns: d),
                value: try binder.matrix(prefix + "attn_v.weight", rows: c.kvWidth, columns: d),
                attentionOutput: try binder.matrix(prefix + "attn_output.weight", rows: d, columns: c.queryWidth),
                mlpNorm: try binder.vector(prefix + "ffn_norm.weight", count: d),
                gate: try binder.matrix(prefix + "ffn_gate.weight", rows: c.feedForwardLength, columns: d),
                up: try binder.matrix(prefix + "ffn_up.weight", rows: c.feedForwardLength, columns: d),
                down: try binder.matrix(prefix + "ffn_down.weight", rows: d, columns: c.feedForwardLength)))
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
        if file.tensor(named: "rope_freqs.weight") != nil {
            throw ModelError(file: file.path, kind: .unsupportedFeature(
                "tensor 'rope_freqs.weight' (Llama 3.1 RoPE frequency factors) is not supported"))
        }
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
