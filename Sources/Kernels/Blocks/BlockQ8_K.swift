import GGUF

/// Q8_K: 256 values in 292 bytes. Not a weight format: ggml quantizes activations to it for
/// integer dot products with the K types.
///
///     | d: f32 | qs: 256 × int8 | bsums: 16 × int16 (sum of each group of 16 quants) |
///     value[i] = d · q[i]
public struct BlockQ8_K: QuantizedBlock {
    /// Scale (a full float, unlike the other formats).
    public var d: Float
    /// Signed 8-bit quants.
    public var qs: Bytes256
    /// Sums of qs in groups of 16, which K-type dot products use to apply the mins.
    public var bsums: Int16x16

    public static var type: GGMLType { .q8_K }

    @inline(__always)
    public func decode(_ weight: (Int, Float) -> Void) {
        withBytes(qs) { qs in
            for i in 0..<256 {
                weight(i, d * Float(Int8(bitPattern: qs[i])))
            }
        }
    }

    /// ggml's `quantize_row_q8_K_ref`: the value of largest magnitude maps to −127.
    public init(quantizing x: UnsafePointer<Float>) {
        var max: Float = 0, amax: Float = 0
        for j in 0..<256 where abs(x[j]) > amax {
            amax = abs(x[j]); max = x[j]
        }
        d = 0
        qs = zeroBytes256
        bsums = zeroInt16x16
        if amax == 0 { return }
        let iscale = -127 / max
        withMutableBytes(&qs) { qs in
            for j in 0..<256 {
                qs[j] = UInt8(bitPattern: Int8(truncatingIfNeeded: min(127, nearestInt(iscale * x[j]))))
            }
            let sums = qs
            withMutableBytes(&bsums) { bsums in
                for g in 0..<16 {
                    var sum = 0
                    for l in 0..<16 { sum += Int(Int8(bitPattern: sums[16 * g + l])) }
                    bsums.storeBytes(of: Int16(sum), toByteOffset: 2 * g, as: Int16.self)
                }
            }
        }
        d = 1 / iscale
    }
}
