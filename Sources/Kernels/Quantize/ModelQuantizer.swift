import GGUF

/// Re-quantizes a whole model: the core of `loupe quantize IN OUT TYPE`.
///
/// Like llama.cpp's `llama-quantize --pure` without an importance matrix: every weight matrix
/// (a tensor named `*weight` with two or more dimensions), token embedding and output included,
/// becomes `type`, quantized row by row with ggml's reference quantizers, so the bytes are the
/// ones llama.cpp writes. Other tensors (norms, biases: 1-D) are stored as F32. Metadata is
/// copied, with `general.file_type` and `general.quantization_version` set as llama.cpp sets them.
/// `quantize(_:mix:)` instead follows one of llama.cpp's mixed presets (`QuantizationMix`).
public enum ModelQuantizer {
    /// What happened to one tensor.
    public struct TensorReport: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        public let from: GGMLType
        public let to: GGMLType
    }

    /// The types `quantize` can write.
    public static let targetTypes: [GGMLType] = [
        .f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K,
    ]

    /// A writer holding `source` with its weights converted to `type`. `report` is called once
    /// per tensor, in file order, as it is converted.
    ///
    /// `pure: false` is llama-quantize without `--pure` for a type that has no mix of its own
    /// (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q6_K): the output matrix, or the token embedding when it
    /// doubles as the output, becomes Q6_K (Q8_0 when its rows are not whole blocks of `type`).
    /// Float types are unaffected. For the K types' mixes, see `quantize(_:mix:report:)`.
    public static func quantize(_ source: GGUFFile, to type: GGMLType, pure: Bool = true,
                                report: (TensorReport) -> Void = { _ in }) throws(ModelQuantizerError) -> GGUFWriter {
        guard targetTypes.contains(type) else { throw .unsupportedTarget(type) }
        return try quantize(source, types: tensorTypes(of: source, type: type, pure: pure),
                            fileType: fileType(for: type), report: report)
    }

    /// A writer holding `source` quantized with one of llama.cpp's mixed presets (`Q4_K_M` …):
    /// the tensor types `llama-quantize` chooses for it, same bytes. `pure: true` is the preset
    /// with llama-quantize's `--pure`: every matrix the preset's base type (Q4_K for Q4_K_M), the
    /// preset's file type.
    public static func quantize(_ source: GGUFFile, mix: QuantizationMix, pure: Bool = false,
                                report: (TensorReport) -> Void = { _ in }) throws(ModelQuantizerError) -> GGUFWriter {
        let types = pure ? tensorTypes(of: source, type: mix.baseType, pure: true) : mix.tensorTypes(of: source)
        return try quantize(source, types: types, fileType: mix.fileType, report: report)
    }

    /// The type of every tensor when the matrices become `type` (see `quantize(_:to:pure:)`).
    static func tensorTypes(of source: GGUFFile, type: GGMLType, pure: Bool) -> [String: GGMLType] {
        let tiedEmbedding = !source.tensors.contains { $0.name == "output.weight" }
        let isFloat = [GGMLType.f32, .f16, .bf16].contains(type)
        var types: [String: GGMLType] = [:]
        for info in source.tensors {
            let isOutput = isWeightMatrix(info) && QuantizationMix.isOutput(info.name, tiedEmbedding: tiedEmbedding)
            let requested = !pure && !isFloat && isOutput ? QuantizationMix.outputType(columns: info.columns, base: type) : type
            types[info.name] = targetType(for: info, requested: requested)
        }
        return types
    }

    /// Every tensor of `source` converted to `types[name]`, metadata copied, with
    /// `general.file_type` and `general.quantization_version` set as llama.cpp sets them.
    static func quantize(_ source: GGUFFile, types: [String: GGMLType], fileType: UInt32,
                         report: (TensorReport) -> Void) throws(ModelQuantizerError) -> GGUFWriter {
        var writer = GGUFWriter(alignment: source.alignment)
        for key in source.metadataKeys where key != "general.alignment" {
            writer.set(key, source.metadata[key]!)
        }
        writer.set("general.file_type", .uint32(fileType))
        writer.set("general.quantization_version", .uint32(2))   // ggml's GGML_QNT_VERSION, as llama.cpp writes it

        for info in source.tensors {
            let target = types[info.name] ?? info.type
            let bytes = source.data(of: info)
            let data: [UInt8]
            if target == info.type {
                data = Array(bytes)
            } else {
                guard info.type.isComputable else {
                    throw .unsupportedSource(file: source.path, tensor: info.name, type: info.type)
                }
                data = convert(bytes, rows: info.rows, columns: info.columns, from: info.type, to: target)
            }
            writer.addTensor(name: info.name, type: target, shape: info.shape, data: data)
            report(TensorReport(name: info.name, shape: info.shape, from: info.type, to: target))
        }
        return writer
    }

    /// Whether llama.cpp quantizes a tensor: a matrix (two or more dimensions) named `*weight`,
    /// not a norm.
    static func isWeightMatrix(_ info: GGUFTensorInfo) -> Bool {
        info.name.hasSuffix("weight") && info.shape.count >= 2 && !info.name.contains("_norm.weight")
    }

    /// The type a tensor gets: `requested` for weight matrices whose rows are whole blocks of it,
    /// llama.cpp's fallback when they are not, F32 for everything else that Loupe can read
    /// (unknown types are kept as they are).
    public static func targetType(for info: GGUFTensorInfo, requested: GGMLType) -> GGMLType {
        guard isWeightMatrix(info) else {
            return info.type.isComputable ? .f32 : info.type
        }
        var target = requested
        if info.columns % target.blockSize != 0 {
            // llama.cpp's tensor_type_fallback: Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0,
            // Q2_K/Q3_K → Q4_0 (older llama.cpp chose IQ4_NL, which Loupe lacks), then F16
            // if still not whole blocks.
            target = switch requested {
            case .q2_K, .q3_K: .q4_0
            case .q4_K: .q5_0
            case .q5_K: .q5_1
            case .q6_K: .q8_0
            default: .f16
            }
            if info.columns % target.blockSize != 0 { target = .f16 }
        }
        return target
    }

    /// llama.cpp's `llama_ftype` for a file whose weights are all `type` (K types as their
    /// `_S` variant, which is what `--pure` produces).
    public static func fileType(for type: GGMLType) -> UInt32 {
        switch type {
        case .f32: 0
        case .f16: 1
        case .q4_0: 2
        case .q4_1: 3
        case .q8_0: 7
        case .q5_0: 8
        case .q5_1: 9
        case .q2_K: 10
        case .q3_K: 11   // Q3_K_S
        case .q4_K: 14   // Q4_K_S
        case .q5_K: 16   // Q5_K_S
        case .q6_K: 18
        case .bf16: 32
        default: 0
        }
    }

    /// Dequantizes each row to floats and quantizes it again.
    static func convert(_ bytes: UnsafeRawBufferPointer, rows: Int, columns: Int,
                        from: GGMLType, to: GGMLType) -> [UInt8] {
        let inRow = from.byteCount(elements: columns)!, outRow = to.byteCount(elements: columns)!
        var out = [UInt8](repeating: 0, count: rows * outRow)
        var floats = [Float](repeating: 0, count: columns)
        out.withUnsafeMutableBytes { out in
            floats.withUnsafeMutableBufferPointer { floats in
                for r in 0..<rows {
                    dequantizeRow(type: from, from: bytes.baseAddress! + r * inRow, count: columns, into: floats.baseAddress!)
                    quantizeRow(type: to, from: floats.baseAddress!, count: columns, into: out.baseAddress! + r * outRow)
                }
            }
        }
        return out
    }
}

/// Why a model cannot be re-quantized.
public enum ModelQuantizerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The requested type is not one Loupe writes.
    case unsupportedTarget(GGMLType)
    /// A tensor that must be converted has a type Loupe cannot read.
    case unsupportedSource(file: String, tensor: String, type: GGMLType)

    public var description: String {
        switch self {
        case .unsupportedTarget(let type):
            "cannot quantize to \(type); Loupe quantizes to "
                + ModelQuantizer.targetTypes.map(\.name).joined(separator: ", ")
        case .unsupportedSource(let file, let tensor, let type):
            "\(file): tensor '\(tensor)' has type \(type), which Loupe cannot dequantize; it reads "
                + GGMLType.computable.map(\.name).joined(separator: ", ")
        }
    }
}
