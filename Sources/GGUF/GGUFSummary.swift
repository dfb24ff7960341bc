/// Facts about a model file that `loupe info` shows: sizes, counts, the file type's name.
extension GGUFFile {
    /// Total number of values in all tensors (the model's parameter count).
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.elementCount } }

    /// Bytes of tensor data in all tensors.
    public var tensorBytes: Int { tensors.reduce(0) { $0 + $1.byteCount } }

    /// For each tensor type present: how many tensors, values and bytes, in ggml type order.
    public var typeUsage: [(type: GGMLType, tensors: Int, elements: Int, bytes: Int)] {
        var usage: [GGMLType: (Int, Int, Int)] = [:]
        for t in tensors {
            let u = usage[t.type] ?? (0, 0, 0)
            usage[t.type] = (u.0 + 1, u.1 + t.elementCount, u.2 + t.byteCount)
        }
        return usage.keys.sorted { $0.rawValue < $1.rawValue }.map { ($0, usage[$0]!.0, usage[$0]!.1, usage[$0]!.2) }
    }

    /// The name llama.cpp gives `general.file_type` (`Q4_1`, `Q4_K_M`, `F16`, …), or nil.
    public var fileTypeName: String? {
        guard let id = metadata["general.file_type"]?.intValue else { return nil }
        return GGUFFile.fileTypeNames[id] ?? "unknown (\(id))"
    }

    /// llama.cpp's `llama_ftype` names, by id.
    static let fileTypeNames: [Int: String] = [
        0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
        10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
        16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
        22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
        28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0",
        38: "MXFP4_MOE",
    ]
}
