import Foundation
import GGUF
import Kernels

/// The hyperparameters of a model, read from the `ARCH.*` metadata keys (ARCH =
/// `general.architecture`: `llama`, `qwen2`, `qwen3`, `gemma3`, `phi3`).
///
/// Every value the forward pass uses is here, with its GGUF key, so the lecture's symbols have
/// one place to be looked up: d = `embeddingLength`, h = `headCount`, d_head = `headDimension`, …
/// What the family does differently from Llama is `architecture` (see `Architecture`).
public struct ModelConfiguration: Sendable, Equatable {
    /// The family's description: which optional steps the forward pass takes.
    public var architecture: Architecture
    /// L: `ARCH.block_count`.
    public var blockCount: Int
    /// d: width of the residual stream, `ARCH.embedding_length`.
    public var embeddingLength: Int
    /// h: query heads, `ARCH.attention.head_count`.
    public var headCount: Int
    /// h_kv: key/value heads, `ARCH.attention.head_count_kv` (h when absent). h / h_kv query heads
    /// share each key/value head (grouped-query attention).
    public var kvHeadCount: Int
    /// d_head: `ARCH.attention.key_length`, or d / h. (Qwen 3 and Gemma 3 have h · d_head ≠ d.)
    public var headDimension: Int
    /// d_ff: hidden width of the MLP, `ARCH.feed_forward_length`.
    public var feedForwardLength: Int
    /// ε of every RMSNorm, `ARCH.attention.layer_norm_rms_epsilon`.
    public var rmsEpsilon: Float
    /// `ARCH.rope.*`: dimension count, θ base, linear scaling, pairing (adjacent for Llama,
    /// halves for the others). Local layers of a sliding-window model use their own base.
    public var rope: RoPEConfig
    /// `ARCH.rope.scaling.original_context_length`: the context the RoPE factors were made for
    /// (Phi-3's short factors up to it, long ones beyond); the context length when absent.
    public var ropeOriginalContext: Int
    /// Positions the model was trained on, `ARCH.context_length`.
    public var contextLength: Int
    /// V: `ARCH.vocab_size`, or the rows of `token_embd.weight`.
    public var vocabularySize: Int

    public init(architecture: Architecture? = nil, blockCount: Int, embeddingLength: Int, headCount: Int,
                kvHeadCount: Int, headDimension: Int, feedForwardLength: Int, rmsEpsilon: Float,
                rope: RoPEConfig, contextLength: Int, vocabularySize: Int) {
        self.architecture = architecture ?? .llama(headDimension: headDimension)
        self.blockCount = blockCount
        self.embeddingLength = embeddingLength
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDimension = headDimension
        self.feedForwardLength = feedForwardLength
        self.rmsEpsilon = rmsEpsilon
        self.rope = rope
        self.ropeOriginalContext = contextLength
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
        guard let arch = file.architecture, Architecture.supported.contains(arch) else {
            throw ModelError(file: file.path, kind: .unknownArchitecture(file.architecture))
        }
        var scaling = "linear"
        var scalingFactor: Float = 0
        var valueLength = 0
        var window = 0
        var localBase: Float = 10_000
        var pattern: [Bool]? = nil
        var softcap: Float = 0
        do throws(GGUFError) {
            blockCount = try file.int("\(arch).block_count")
            embeddingLength = try file.int("\(arch).embedding_length")
            headCount = try file.int("\(arch).attention.head_count")
            kvHeadCount = try file.int("\(arch).attention.head_count_kv", default: headCount)
            let defaultHead = headCount > 0 ? embeddingLength / headCount : 0
            headDimension = try file.int("\(arch).attention.key_length", default: defaultHead)
            valueLength = try file.int("\(arch).attention.value_length", default: defaultHead)
            feedForwardLength = try file.int("\(arch).feed_forward_length")
            rmsEpsilon = try file.float("\(arch).attention.layer_norm_rms_epsilon")
            contextLength = try file.int("\(arch).context_length")
            ropeOriginalContext = try file.int("\(arch).rope.scaling.original_context_length", default: contextLength)
            let ropeDims = try file.int("\(arch).rope.dimension_count", default: headDimension)
            let base = try file.float("\(arch).rope.freq_base", default: 10_000)
            // llama.cpp: the type defaults to linear; the factor is `rope.scaling.factor`, or the
            // older `rope.scale_linear`; 0 or absent means no scaling.
            scaling = try file.string("\(arch).rope.scaling.type", default: "linear") ?? "linear"
            scalingFactor = try file.float("\(arch).rope.scaling.factor",
                                           default: try file.float("\(arch).rope.scale_linear", default: 0))
            let magnitude = try file.float("\(arch).rope.scaling.attn_factor", default: 1)
            // Qwen, Gemma and Phi-3 rotate the two halves of a head (NEOX); Llama adjacent pairs.
            rope = RoPEConfig(dimensions: ropeDims, freqBase: base, freqScale: 1,
                              style: arch == "llama" ? .normal : .neox, magnitude: magnitude)
            let embeddingRows = file.tensor(named: "token_embd.weight")?.rows
            vocabularySize = try file.int("\(arch).vocab_size", default: embeddingRows ?? 0)
            if arch == "gemma3" {
                // Phi-3 files carry a `sliding_window` too, which llama.cpp ignores.
                window = try file.int("gemma3.attention.sliding_window", default: 0)
                localBase = try file.float("gemma3.rope.freq_base_swa", default: 10_000)
                pattern = try slidingWindowPattern(file, "gemma3.attention.sliding_window_pattern", blocks: blockCount)
                softcap = try file.float("gemma3.final_logit_softcapping", default: 0)
            }
        } catch {
            throw .metadata(error)
        }
        switch scaling {
        case "none", "linear", "longrope", "yarn":
            // longrope (Phi-3 128k): frequency factors from tensors, no change of position scale.
            break
        default:
            throw ModelError(file: file.path, kind: .unsupportedFeature(
                "RoPE scaling '\(scaling)' (\(arch).rope.scaling.type) is not supported; Loupe implements 'none', 'linear', 'yarn' and 'longrope'"))
        }
        guard scalingFactor >= 0, scalingFactor.isFinite else {
            throw ModelError(file: file.path, kind: .badHyperparameter(
                key: "\(arch).rope.scaling.factor", value: "\(scalingFactor)", expected: "a positive number"))
        }
        if scaling != "none", scalingFactor > 0 { rope.freqScale = 1 / scalingFactor }
        if scaling == "yarn" { rope.enableYaRN(originalContext: ropeOriginalContext) }

        let tied = file.tensor(named: "output.weight") == nil
        var a = Architecture.llama(headDimension: headDimension, tiedOutput: tied)
        a.name = arch
        switch arch {
        case "qwen3":
            a.queryKeyNorm = true
        case "gemma3":
            a.queryKeyNorm = true
            a.postNorms = true
            a.activation = .geluTanh
            a.embeddingScale = Float(embeddingLength).squareRoot()
            // llama.cpp (after gemma_pytorch): the 62-layer 27B model scales by d / h instead.
            if blockCount == 62, headCount > 0 {
                a.attentionScale = 1 / Float(embeddingLength / headCount).squareRoot()
            }
            if window > 0 {
                let isLocal = pattern ?? (0 ..< blockCount).map { $0 % 6 < 5 }
                a.slidingWindow = .init(size: window, isLocal: isLocal, ropeBase: localBase)
            }
            if softcap != 0 { a.logitSoftcap = softcap }
        case "phi3":
            a.fusedGateUp = file.tensor(named: "blk.0.ffn_gate.weight") == nil
        default:
            break
        }
        // As llama.cpp, for every family: a fused W_QKV when the file has one (Phi-3), and
        // whichever q/k/v biases it has (Qwen 2 has all three).
        a.fusedQKV = file.tensor(named: "blk.0.attn_qkv.weight") != nil
        a.attentionBiases = ["attn_q.bias", "attn_k.bias", "attn_v.bias", "attn_qkv.bias"]
            .contains { file.tensor(named: "blk.0." + $0) != nil }
        architecture = a
        try check(file, "\(arch).attention.value_length", valueLength, valueLength == headDimension,
                  "equal to the key length \(headDimension)")
        try validate(file: file)
    }

    /// Refuses values the forward pass cannot use, naming the key.
    private func validate(file: GGUFFile) throws(ModelError) {
        let arch = architecture.name
        try check(file, "\(arch).block_count", blockCount, blockCount > 0 && blockCount <= 1024, "1…1024")
        try check(file, "\(arch).embedding_length", embeddingLength, embeddingLength > 0 && embeddingLength <= 65536, "1…65536")
        try check(file, "\(arch).attention.head_count", headCount, headCount > 0 && headCount <= 1024, "1…1024")
        try check(file, "\(arch).attention.head_count_kv", kvHeadCount,
                  kvHeadCount > 0 && kvHeadCount <= headCount && headCount % kvHeadCount == 0,
                  "a divisor of the head count \(headCount)")
        try check(file, "\(arch).attention.key_length", headDimension,
                  headDimension > 0 && headDimension % 2 == 0 && headDimension <= 1024, "an even number 2…1024")
        try check(file, "\(arch).feed_forward_length", feedForwardLength, feedForwardLength > 0 && feedForwardLength <= 1 << 20, "1…1048576")
        try check(file, "\(arch).context_length", contextLength, contextLength > 0, "positive")
        try check(file, "\(arch).rope.dimension_count", rope.dimensions,
                  rope.dimensions > 0 && rope.dimensions <= headDimension && rope.dimensions % 2 == 0,
                  "an even number up to the head dimension \(headDimension)")
        try check(file, "\(arch).vocab_size", vocabularySize, vocabularySize > 0 && vocabularySize <= 1 << 24, "1…16777216")
        guard rmsEpsilon.isFinite, rmsEpsilon > 0 else {
            throw ModelError(file: file.path, kind: .badHyperparameter(
                key: "\(arch).attention.layer_norm_rms_epsilon", value: "\(rmsEpsilon)", expected: "a small positive number"))
        }
        guard rope.freqBase.isFinite, rope.freqBase > 0 else {
            throw ModelError(file: file.path, kind: .badHyperparameter(
                key: "\(arch).rope.freq_base", value: "\(rope.freqBase)", expected: "a positive number"))
        }
    }
}

/// `attention.sliding_window_pattern`: one bool per block (true: local), or a number n (every
/// n-th block, from the n-th, is global); nil when absent.
private func slidingWindowPattern(_ file: GGUFFile, _ key: String, blocks: Int) throws(GGUFError) -> [Bool]? {
    guard let value = file.metadata[key] else { return nil }
    if let elements = value.arrayValue {
        let flags = elements.compactMap(\.boolValue)
        guard flags.count == blocks else {
            throw GGUFError(file: file.path, offset: nil, kind: .wrongType(key: key, expected: "\(blocks) bools", found: value.type))
        }
        return flags
    }
    let n = try file.int(key)
    return (0 ..< blocks).map { n == 0 || $0 % n < n - 1 }
}

private func check(_ file: GGUFFile, _ key: String, _ value: Int, _ ok: Bool, _ expected: String) throws(ModelError) {
    guard ok else {
        throw ModelError(file: file.path, kind: .badHyperparameter(key: key, value: "\(value)", expected: expected))
    }
}

extension ModelConfiguration {
    /// RoPE in words: "RoPE NEOX halves, base 1000000, linear scaling 1/8".
    public func ropeInWords(factors: Bool) -> String {
        var words = "RoPE " + (rope.style == .normal ? "NORM pairs" : "NEOX halves") + ", base \(format(rope.freqBase))"
        if rope.dimensions != headDimension { words += ", \(rope.dimensions) of \(headDimension) dims" }
        if rope.freqScale != 1 { words += (rope.yarnMix != 0 ? ", YaRN scaling " : ", linear scaling ") + format(rope.freqScale) }
        if factors { words += ", frequency factors (rope_freqs)" }
        if rope.magnitude != 1 { words += ", attn factor \(format(rope.magnitude))" }
        return words
    }

    /// The architecture and its RoPE in words, as `loupe info` prints them. `ropeFactors`: the
    /// file has `rope_freqs.weight`.
    public func describedInWords(ropeFactors: Bool = false) -> String {
        var words = architecture.features
        words.insert(ropeInWords(factors: ropeFactors), at: words.firstIndex { $0.hasPrefix("attention scale") } ?? 0)
        if kvHeadCount != headCount { words.insert("grouped-query \(headCount)/\(kvHeadCount) heads", at: 0) }
        if queryWidth != embeddingLength { words.insert("d_head \(headDimension) (h·d_head = \(queryWidth) ≠ d = \(embeddingLength))", at: 0) }
        return words.joined(separator: ", ")
    }
}

extension RoPEConfig {
    /// YaRN as llama.cpp sets it up for these families (ext_factor 1, β_fast 32, β_slow 1): the
    /// pairs that turn fewer than β times over the original context are interpolated, the
    /// faster ones keep their angle, with a ramp between; llama.cpp's attention factor
    /// 1 + 0.1·ln(factor) is cancelled by its own correction except below factor 1.
    mutating func enableYaRN(originalContext: Int) {
        func pair(turns beta: Float) -> Float {
            Float(dimensions) * logf(Float(originalContext) / (beta * 2 * .pi)) / (2 * logf(freqBase))
        }
        yarnMix = 1
        yarnLow = max(0, floorf(pair(turns: 32)))
        yarnHigh = min(Float(dimensions - 1), ceilf(pair(turns: 1)))
        let factor = 1 / freqScale
        if factor < 1 { magnitude /= 1 + 0.1 * logf(factor) }
    }
}
