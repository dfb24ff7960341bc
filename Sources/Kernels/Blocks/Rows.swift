import GGUF

// Row-level entry points over every format: what the backends call. One `switch` per row picks
// the block type; the loops over blocks are generic and specialized by the compiler.

/// Dequantizes `count` weights of one row of `type` starting at `row` into `out[0..<count]`,
/// giving exactly ggml's (and gguf-py's) values. `count` must be a whole number of blocks.
/// Types: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K…Q6_K, Q8_K.
public func dequantizeRow(type: GGMLType, from row: UnsafeRawPointer, count: Int,
                          into out: UnsafeMutablePointer<Float>) {
    switch type {
    case .f32: out.update(from: row.assumingMemoryBound(to: Float.self), count: count)
    case .f16: for i in 0..<count { out[i] = floatFromHalf(row.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
    case .bf16: for i in 0..<count { out[i] = floatFromBFloat16(row.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
    case .q4_0: dequantizeBlocks(BlockQ4_0.self, row, count, out)
    case .q4_1: dequantizeBlocks(BlockQ4_1.self, row, count, out)
    case .q5_0: dequantizeBlocks(BlockQ5_0.self, row, count, out)
    case .q5_1: dequantizeBlocks(BlockQ5_1.self, row, count, out)
    case .q8_0: dequantizeBlocks(BlockQ8_0.self, row, count, out)
    case .q2_K: dequantizeBlocks(BlockQ2_K.self, row, count, out)
    case .q3_K: dequantizeBlocks(BlockQ3_K.self, row, count, out)
    case .q4_K: dequantizeBlocks(BlockQ4_K.self, row, count, out)
    case .q5_K: dequantizeBlocks(BlockQ5_K.self, row, count, out)
    case .q6_K: dequantizeBlocks(BlockQ6_K.self, row, count, out)
    case .q8_K: dequantizeBlocks(BlockQ8_K.self, row, count, out)
    default: preconditionFailure(unsupportedMessage(type))
    }
}

/// Dot product of one row of `type` (`count` weights starting at `row`) with x[0..<count],
/// without materializing the row: Σ weight[i] · x[i], with weight[i] exactly the dequantized
/// value. Summed per block in Float, blocks summed in Float (F32/F16/BF16: one running sum).
/// This is the reference the SIMD and BLAS backends are tested against.
public func dotRow(_ type: GGMLType, _ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, count: Int) -> Float {
    switch type {
    case .f32:
        let w = row.assumingMemoryBound(to: Float.self)
        var sum: Float = 0
        for i in 0..<count { sum += w[i] * x[i] }
        return sum
    case .f16:
        var sum: Float = 0
        for i in 0..<count { sum += floatFromHalf(row.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) * x[i] }
        return sum
    case .bf16:
        var sum: Float = 0
        for i in 0..<count { sum += floatFromBFloat16(row.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) * x[i] }
        return sum
    case .q4_0: return dotBlocks(BlockQ4_0.self, row, x, count)
    case .q4_1: return dotBlocks(BlockQ4_1.self, row, x, count)
    case .q5_0: return dotBlocks(BlockQ5_0.self, row, x, count)
    case .q5_1: return dotBlocks(BlockQ5_1.self, row, x, count)
    case .q8_0: return dotBlocks(BlockQ8_0.self, row, x, count)
    case .q2_K: return dotBlocks(BlockQ2_K.self, row, x, count)
    case .q3_K: return dotBlocks(BlockQ3_K.self, row, x, count)
    case .q4_K: return dotBlocks(BlockQ4_K.self, row, x, count)
    case .q5_K: return dotBlocks(BlockQ5_K.self, row, x, count)
    case .q6_K: return dotBlocks(BlockQ6_K.self, row, x, count)
    case .q8_K: return dotBlocks(BlockQ8_K.self, row, x, count)
    default: preconditionFailure(unsupportedMessage(type))
    }
}

/// The types `quantizeRow` can produce.
public let quantizableTypes: [GGMLType] = [
    .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K,
]

/// Quantizes x[0..<count] to `type` into `out` (`type.byteCount(elements: count)` bytes), with
/// ggml's reference quantizers (`quantize_row_*_ref`, `GGML_FP32_TO_FP16`, `GGML_FP32_TO_BF16`):
/// the same bytes llama.cpp's `llama-quantize` writes without an importance matrix.
public func quantizeRow(type: GGMLType, from x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
    switch type {
    case .f32: out.copyMemory(from: x, byteCount: 4 * count)
    case .f16: for i in 0..<count { out.storeBytes(of: halfFromFloat(x[i]), toByteOffset: 2 * i, as: UInt16.self) }
    case .bf16: for i in 0..<count { out.storeBytes(of: bfloat16FromFloat(x[i]), toByteOffset: 2 * i, as: UInt16.self) }
    case .q4_0: quantizeBlocks(BlockQ4_0.self, x, count, out)
    case .q4_1: quantizeBlocks(BlockQ4_1.self, x, count, out)
    case .q5_0: quantizeBlocks(BlockQ5_0.self, x, count, out)
    case .q5_1: quantizeBlocks(BlockQ5_1.self, x, count, out)
    case .q8_0: quantizeBlocks(BlockQ8_0.self, x, count, out)
    case .q2_K: quantizeBlocks(BlockQ2_K.self, x, count, out)
    case .q3_K: quantizeBlocks(BlockQ3_K.self, x, count, out)
    case .q4_K: quantizeBlocks(BlockQ4_K.self, x, count, out)
    case .q5_K: quantizeBlocks(BlockQ5_K.self, x, count, out)
    case .q6_K: quantizeBlocks(BlockQ6_K.self, x, count, out)
    case .q8_K: quantizeBlocks(BlockQ8_K.self, x, count, out)
    default: preconditionFailure("Loupe cannot quantize to \(type); it quantizes to "
                                 + quantizableTypes.map(\.name).joined(separator: ", "))
    }
}

// MARK: - Generic block loops

@inline(__always)
func dequantizeBlocks<B: QuantizedBlock>(_: B.Type, _ row: UnsafeRawPointer, _ count: Int,
                                         _ out: UnsafeMutablePointer<Float>) {
    precondition(count % B.weightCount == 0, "\(count) weights is not whole \(B.type) blocks")
    for b in 0..<count / B.weightCount {
        let y = out + b * B.weightCount
        B.load(row, block: b).decode { i, w in y[i] = w }
    }
}

@inline(__always)
func dotBlocks<B: QuantizedBlock>(_: B.Type, _ row: UnsafeRawPointer, _ x: UnsafePointer<Float>,
                                  _ count: Int) -> Float {
    precondition(count % B.weightCount == 0, "\(count) weights is not whole \(B.type) blocks")
    var sum: Float = 0
    for b in 0..<count / B.weightCount {
        let xb = x + b * B.weightCount
        var blockSum: Float = 0
        B.load(row, block: b).decode { i, w in blockSum += w * xb[i] }
        sum += blockSum
    }
    return sum
}

@inline(__always)
func quantizeBlocks<B: QuantizedBlock>(_: B.Type, _ x: UnsafePointer<Float>, _ count: Int,
                                       _ out: UnsafeMutableRawPointer) {
    precondition(count % B.weightCount == 0, "\(count) weights is not whole \(B.type) blocks")
    for b in 0..<count / B.weightCount {
        out.storeBytes(of: B(quantizing: x + b * B.weightCount),
                       toByteOffset: b * MemoryLayout<B>.size, as: B.self)
    }
}

func unsupportedMessage(_ type: GGMLType) -> String {
    "Loupe's kernels do not compute with \(type); they compute "
        + (GGMLType.computable + [.q8_K]).map(\.name).joined(separator: ", ")
}
