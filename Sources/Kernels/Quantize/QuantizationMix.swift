import GGUF

/// One of llama.cpp's mixed K-quant presets (`llama-quantize IN OUT Q4_K_M`): most weight
/// matrices get the preset's base type, the ones quantization hurts most get more bits.
///
/// The rules are llama.cpp's `llama_tensor_get_type` (src/llama-quant.cpp) for a dense model
/// (no experts, not Falcon, not a 70B), without importance matrix:
///
/// | preset | base | attn_v | ffn_down | attn_output |
/// |---|---|---|---|---|
/// | Q2_K | Q2_K | Q3_K (Q4_K if n_head/n_head_kv ≥ 4) | Q3_K | Q3_K |
/// | Q3_K_S | Q3_K | | | |
/// | Q3_K_M | Q3_K | Q5_K in the first 2 layers, else Q4_K | Q5_K in the first n/16 layers, else Q4_K | Q4_K |
/// | Q4_K_S | Q4_K | Q5_K in the first 4 layers | Q5_K in the first n/8 layers | |
/// | Q4_K_M | Q4_K | Q6_K where `usesMoreBits` | Q6_K where `usesMoreBits` | |
/// | Q5_K_S | Q5_K | | | |
/// | Q5_K_M | Q5_K | Q6_K where `usesMoreBits` | Q6_K where `usesMoreBits` | |
///
/// In every preset the output matrix (and the token embedding when it doubles as the output,
/// as in SmolLM2) is Q6_K, or Q8_0 when its rows are not whole blocks of the base type. Then,
/// as for pure types, a matrix whose rows are not whole blocks of its type falls back
/// (`ModelQuantizer.targetType`).
public enum QuantizationMix: String, CaseIterable, Sendable {
    /// llama-quantize's `Q2_K`, which is a mix (Loupe's plain `Q2_K` is the pure type).
    case q2_K = "Q2_K_MIX"
    case q3_K_S = "Q3_K_S"
    case q3_K_M = "Q3_K_M"
    case q4_K_S = "Q4_K_S"
    case q4_K_M = "Q4_K_M"
    case q5_K_S = "Q5_K_S"
    case q5_K_M = "Q5_K_M"

    /// The name a user types (`loupe quantize IN OUT Q4_K_M`).
    public var name: String { rawValue }

    /// A preset by name, case-insensitively.
    public init?(name: String) {
        guard let mix = Self.allCases.first(where: { $0.rawValue == name.uppercased() }) else { return nil }
        self = mix
    }

    /// The type of every matrix the preset does not single out.
    public var baseType: GGMLType {
        switch self {
        case .q2_K: .q2_K
        case .q3_K_S, .q3_K_M: .q3_K
        case .q4_K_S, .q4_K_M: .q4_K
        case .q5_K_S, .q5_K_M: .q5_K
        }
    }

    /// llama.cpp's `llama_ftype`, written as `general.file_type`.
    public var fileType: UInt32 {
        switch self {
        case .q2_K: 10
        case .q3_K_S: 11
        case .q3_K_M: 12
        case .q4_K_S: 14
        case .q4_K_M: 15
        case .q5_K_S: 16
        case .q5_K_M: 17
        }
    }

    /// llama.cpp's `use_more_bits`: the first and last eighth of the layers, and every third
    /// layer in between, get more bits.
    static func usesMoreBits(_ layer: Int, of layers: Int) -> Bool {
        layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2
    }

    /// The type of every tensor of `file`, by name. As llama.cpp, walks the tensors in its
    /// loader's order (tensors outside a block first, then block by block, by name within each)
    /// and counts attn_v and ffn_down matrices as it goes: that count is the layer the rules see.
    public func tensorTypes(of file: GGUFFile) -> [String: GGMLType] {
        let architecture = file.architecture ?? "llama"
        let layers = file.metadata["\(architecture).block_count"]?.intValue ?? 0
        let heads = file.metadata["\(architecture).attention.head_count"]?.intValue ?? 0
        let kvHeads = file.metadata["\(architecture).attention.head_count_kv"]?.intValue ?? heads
        let groupSize = kvHeads > 0 ? heads / kvHeads : 0   // llama.cpp's n_gqa()

        let ordered = file.tensors.sorted { a, b in
            let (la, lb) = (Self.layer(of: a.name), Self.layer(of: b.name))
            return la != lb ? la < lb : Array(a.name.utf8).lexicographicallyPrecedes(b.name.utf8)
        }
        let valueCount = file.tensors.filter { Self.isAttentionValue($0.name) }.count
        let tiedEmbedding = !file.tensors.contains { $0.name == "output.weight" }

        var valueIndex = 0, downIndex = 0
        var types: [String: GGMLType] = [:]
        for info in ordered {
            var type = ModelQuantizer.targetType(for: info, requested: baseType)
            guard ModelQuantizer.isWeightMatrix(info) else {
                types[info.name] = type
                continue
            }
            let name = info.name
            if Self.isOutput(name, tiedEmbedding: tiedEmbedding) {
                type = Self.outputType(columns: info.columns, base: baseType)
            } else if Self.isAttentionValue(name) {
                type = attentionValueType(layer: valueIndex, of: valueCount, groupSize: groupSize)
                valueIndex += 1
            } else if name.contains("ffn_down") {
                type = feedForwardDownType(layer: downIndex, of: layers)
                downIndex += 1
            } else if name.contains("attn_output.weight") {
                type = switch self {
                case .q2_K: .q3_K
                case .q3_K_M: .q4_K
                default: baseType
                }
            }
            types[name] = ModelQuantizer.targetType(for: info, requested: type)
        }
        return types
    }

    func attentionValueType(layer: Int, of layers: Int, groupSize: Int) -> GGMLType {
        switch self {
        case .q2_K: groupSize >= 4 ? .q4_K : .q3_K
        case .q3_K_M: layer < 2 ? .q5_K : .q4_K
        case .q4_K_M, .q5_K_M: Self.usesMoreBits(layer, of: layers) ? .q6_K : baseType
        case .q4_K_S: layer < 4 ? .q5_K : baseType
        case .q3_K_S, .q5_K_S: baseType
        }
    }

    func feedForwardDownType(layer: Int, of layers: Int) -> GGMLType {
        switch self {
        case .q2_K: .q3_K
        case .q3_K_M: layer < layers / 16 ? .q5_K : .q4_K
        case .q4_K_M, .q5_K_M: Self.usesMoreBits(layer, of: layers) ? .q6_K : baseType
        case .q4_K_S: layer < layers / 8 ? .q5_K : baseType
        case .q3_K_S, .q5_K_S: baseType
        }
    }

    /// The output matrix, or the token embedding when there is no output matrix (tied).
    static func isOutput(_ name: String, tiedEmbedding: Bool) -> Bool {
        name == "output.weight" || (tiedEmbedding && name == "token_embd.weight")
    }

    /// What llama-quantize (without --pure) makes of the output matrix of a file quantized to
    /// `base`: Q6_K, or Q8_0 when its rows are not whole blocks of `base` or `base` is Q8_0.
    static func outputType(columns: Int, base: GGMLType) -> GGMLType {
        columns % base.blockSize != 0 || base == .q8_0 ? .q8_0 : .q6_K
    }

    /// llama.cpp's attn_v category: value projections, fused or not.
    static func isAttentionValue(_ name: String) -> Bool {
        name.contains("attn_v.weight") || name.contains("attn_qkv.weight") || name.contains("attn_kv_b.weight")
    }

    /// N of `blk.N.…`, −1 for tensors outside the blocks (llama.cpp's `sscanf("blk.%d.")`).
    static func layer(of name: String) -> Int {
        guard name.hasPrefix("blk.") else { return -1 }
        let rest = name.dropFirst(4)
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard rest.dropFirst(digits.count).first == ".", let layer = Int(digits) else { return -1 }
        return layer
    }
}
