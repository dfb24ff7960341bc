import GGUF

/// One ggml block: `weightCount` consecutive weights of a row, packed exactly as ggml packs them
/// (`MemoryLayout<Self>.size == type.bytesPerBlock`, checked by a test).
///
/// `decode` is the dequantization rule, written once per format; dequantizing a row and the
/// fused dot product of a row with a vector are both built on it, so they cannot disagree.
public protocol QuantizedBlock: BitwiseCopyable {
    /// The ggml type this block stores.
    static var type: GGMLType { get }
    /// Calls `weight(i, value)` for every weight i in 0..<type.blockSize, with the value
    /// ggml's `dequantize_row_*` gives (same float operations in the same order: bit-identical).
    func decode(_ weight: (_ index: Int, _ value: Float) -> Void)
    /// Packs `type.blockSize` floats from `x` the way ggml's reference `quantize_row_*_ref` does.
    init(quantizing x: UnsafePointer<Float>)
}

extension QuantizedBlock {
    /// Weights in one block.
    @inline(__always) static var weightCount: Int { type.blockSize }

    /// Block `index` of the row starting at `row`. GGUF only aligns tensors, so blocks are read
    /// without assuming alignment.
    @inline(__always)
    static func load(_ row: UnsafeRawPointer, block index: Int) -> Self {
        row.loadUnaligned(fromByteOffset: index * MemoryLayout<Self>.size, as: Self.self)
    }
}

// MARK: - Rounding helpers shared by the quantizers

/// ggml's `nearest_int`: round to nearest, ties to even, by adding 1.5·2^23 so the FPU rounds
/// the fraction away. Valid for |x| ≤ 4194303, which the quantizers guarantee; NaN gives
/// a garbage value, never a trap.
@inline(__always)
func nearestInt(_ x: Float) -> Int {
    let shifted = x + 12_582_912
    return Int(Int32(bitPattern: shifted.bitPattern & 0x007F_FFFF)) - 0x0040_0000
}

/// C's float-to-integer conversion (truncation toward zero) clamped to lo...hi; NaN gives lo
/// where C would be undefined.
@inline(__always)
func truncatedInt(_ x: Float, _ lo: Int, _ hi: Int) -> Int {
    guard x == x else { return lo }
    if x <= Float(lo) { return lo }
    if x >= Float(hi) { return hi }
    return Int(x)
}
