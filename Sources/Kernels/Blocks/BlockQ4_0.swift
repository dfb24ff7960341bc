import GGUF

/// Q4_0: 32 weights in 18 bytes, symmetric 4-bit.
///
///     | d: f16 | qs: 16 bytes                                              |
///                 byte j: low nibble = q[j], high nibble = q[j + 16]
///     weight[i] = d · (q[i] − 8)        q[i] in 0...15
public struct BlockQ4_0: QuantizedBlock {
    /// Scale (f16 bits).
    public var d: UInt16
    /// 4-bit quants, two per byte.
    public var qs: Bytes16

    public static var type: GGMLType { .q4_0 }

    @inline(__always)
    public func decode(_ weight: (Int, Float) -> Void) {
        let d = floatFromHalf(self.d)
        withBytes(qs) { qs in
            for j in 0..<16 {
                weight(j, Float(Int(qs[j] & 0x0F) - 8) * d)
                weight(j + 16, Float(Int(qs[j] >> 4) - 8) * d)
            }
        }
    }

    /// ggml's `quantize_row_q4_0_ref`: the weight of largest magnitude maps to −8 exactly.
    public init(quantizing x: UnsafePointer<Float>) {
        var amax: Float = 0, max: Float = 0
        for j in 0..<32 where amax < abs(x[j]) {
            amax = abs(x[j]); max = x[j]
        }
        let d = max / -8
        let id: Float = d != 0 ? 1 / d : 0
        self.d = halfFromFloat(d)
        qs = zeroBytes16
        withMutableBytes(&qs) { qs in
            for j in 0..<16 {
                let q0 = truncatedInt(x[j] * id + 8.5, 0, 15)
                let q1 = truncatedInt(x[j + 16] * id + 8.5, 0, 15)
                qs[j] = UInt8(q0 | q1 << 4)
            }
        }
    }
}
