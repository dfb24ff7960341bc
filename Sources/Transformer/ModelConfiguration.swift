import GGUF
import Kernels

/// The hyperparameters of a Llama-architecture model, read from the `llama.*` metadata keys.
///
/// Every value the forward pass uses is here, with its GGUF key, so the lecture's symbols have
/// one place to be looked up: d = `embeddingLength`, h = `headCount`, d_head = `headDimension`, …
public struct ModelConfiguration: Sendable, Equatable {
    /// `general.architecture` (always `llama` for now).
    public var architecture: String
    /// L: `llama.block_count`.
    public var blockCount: Int
    /// d: width of the residual stream, `llama.embedding_length`.
    public var embeddingLength: Int
    /// h: query heads, `llama.attention.head_count`.
    public var headCount: Int
    /// h_kv: key/value heads, `llama.attention.head_count_kv` (h when absent). h / h_kv query heads
    /// share each key/value head (grouped-query attention).
    public var kvHeadCount: Int
    /// d_head: `llama.attention.key_length`, or d / h.
    public var headDimension: Int
    /// d_ff: hidden width of the MLP, `llama.feed_forward_length`.
    public var feedForwardLength: Int
    /// ε of every RMSNorm, `llama.attention.layer_norm_rms_epsilon`.
    public var rmsEpsilon: Float
    /// `llama.rope.*`: dimension count, θ base, linear scaling; Llama's adjacent-pair style.
    public var rope: RoPEConfig
    /// Positions the model was trained on, `llama.context_length`.
    public var contextLength: Int
    /// V: `llama.vocab_size`, or the rows of `token_embd.weight`.
    public var vocabularySize: Int

    public init(architecture: String = "llama", blockCount: Int, embeddingLength: Int, headCount: Int,
                kvHeadCount: Int, headDimension: Int, feedForwardLength: Int, rmsEpsilon: Float,
                rope: RoPEConfig, contextLength: Int, vocabularySize: Int) {
        self.architecture = architecture
        self.blockCount = blockCount
        self.embeddingLength = embeddingLength
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDimension = headDimension
        self.feedForwardLength = feedForwardLength
        self.rmsEpsilon = rmsEpsilon
        self.rope = rope
        self.contextLength = contextLength
        self.vocabularySize = vocabularySize
    }

    /// Query heads that share one key/value head: h / h_kv.
    public var groupSize: Int { headCount / kvHeadCount }
    /// Width of all query heads together: h · d_head.
    public var queryWidth: Int { headCount * headDimension }
    /// Width of all key (or value) heads together: h_kv · d_head.
    public var kvWidth: Int { kvHeadCount * headDimension }

    /// Reads and checks the hyperparameters of `file`.
    public init(file: GGUFFile) throws(ModelError) {
        let arch = file.architecture
        guard arch == "llama" else {
            throw ModelError(file: file.path, kind: .unknownArchitecture(arch))
        }
        var scaling: String?
        var scalingFactor: Float = 1
        var valueLength = 0
        do throws(GGUFError) {
            architecture = "llama"
            blockCount = try file.int("llama.block_count")
            embeddingLength = try file.int("llama.embedding_length")
            headCount = try file.int("llama.attention.head_count")
            kvHeadCount = try file.int("llama.attention.head_count_kv", default: headCount)
            let defaultHead = headCount > 0 ? embeddingLength / headCount : 0
            headDimension = try file.int("llama.attention.key_length", default: defaultHead)
            valueLength = try file.int("llama.attention.value_length", default: headDimension)
            feedForwardLength = try file.int("llama.feed_forward_length")
            rmsEpsilon = try file.float("llama.attention.layer_norm_rms_epsilon")
            contextLength = try file.int("llama.context_length")
            let ropeDims = try file.int("llama.rope.dimension_count", default: headDimension)
            let base = try file.float("llama.rope.freq_base", default: 10_000)
            scaling = try file.string("llama.rope.scaling.type", default: nil)
            scalingFactor = try file.float("llama.rope.scaling.factor", default: 1)
            rope = RoPEConfig(dimensions: ropeDims, freqBase: base, freqScale: 1, style: .normal)
            let embeddingRows = file.tensor(named: "token_embd.weight")?.rows
            vocabularySize = try file.int("llama.vocab_size", default: embeddingRows ?? 0)
        } catch {
            throw .metadata(error)
        }
        if let scaling, scaling != "none" {
            guard scaling == "linear" else {
                throw ModelError(file: file.path, kind: .unsupportedFeature(
                    "RoPE scaling '\(scaling)' is not supported; Loupe implements 'linear' and 'none'"))
            }
            guard scalingFactor > 0, scalingFactor.isFinite else {
                throw ModelError(file: file.path, kind: .badHyperparameter(
                    key: "llama.rope.scaling.factor", value: "\(scalingFactor)", expected: "a positive number"))
            }
            rope.freqScale = 1 / scalingFactor
        }
        try check(file, "llama.attention.value_length", valueLength, valueLength == headDimension,
                  "equal to the key length \(headDimension)")
        try validate(file: file)
    }

    /// Refuses values the forward pass cannot use, naming the key.
    private func validate(file: GGUFFile) throws(ModelError) {
        try check(file, "llama.block_count", blockCount, blockCount > 0 && blockCount <= 1024, "1…1024")
        try check(file, "llama.embedding_length", embeddingLength, embeddingLength > 0 && embeddingLength <= 65536, "1…65536")
        try check(file, "llama.attention.head_count", headCount, headCount > 0 && headCount <= 1024, "1…1024")
        try check(file, "llama.attention.head_count_kv", kvHeadCount,
                  kvHeadCount > 0 && kvHeadCount <= headCount && headCount % kvHeadCount == 0,
                  "a divisor of the head count \(headCount)")
        try check(file, "llama.attention.key_length", headDimension,
                  headDimension > 0 && headDimension % 2 == 0 && headDimension <= 1024, "an even number 2…1024")
        try check(file, "llama.feed_forward_length", feedForwardLength, feedForwardLength > 0 && feedForwardLength <= 1 << 20, "1…1048576")
        try check(file, "llama.context_length", contextLength, contextLength > 0, "positive")
        try check(file, "llama.rope.dimension_count", rope.dimensions,
                  rope.dimensions > 0 && rope.dimensions <= headDimension && rope.dimensions % 2 == 0,
                  "an even number up to the head dimension \(headDimension)")
        try check(file, "llama.vocab_size", vocabularySize, vocabularySize > 0 && vocabularySize <= 1 << 24, "1…16777216")
        guard rmsEpsilon.isFinite, rmsEpsilon > 0 else {
            throw ModelError(file: file.path, kind: .badHyperparameter(
                key: "llama.attention.layer_norm_rms_epsilon", value: "\(rmsEpsilon)", expected: "a small positive number"))
        }
        guard rope.freqBase.isFinite, rope.freqBase > 0 else {
            throw ModelError(file: file.path, kind: .badHyperparameter(
                key: "llama.rope.freq_base", value: "\(rope.freqBase)", expected: "a positive number"))
        }
    }
}

private func check(_ file: GGUFFile, _ key: String, _ value: Int, _ ok: Bool, _ expected: String) throws(ModelError) {
    guard ok else {
        throw ModelError(file: file.path, kind: .badHyperparameter(key: key, value: "\(value)", expected: expected))
    }
}
