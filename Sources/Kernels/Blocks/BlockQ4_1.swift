import GGUF

/// Q4_1: 32 weights in 20 bytes, 4-bit with a minimum.
///
///     | d: f16 | m: f16 | qs: 16 bytes                                     |
///                          byte j: low nibble = q[j], high nibble = q[j + 16]
///     weight[i] = d · q[i] + m          q[i] in 0...15
public struct BlockQ4_1: QuantizedBlock {
    /// Scale (f16 bits).
    public var d: UInt16
    /// Minimum, the value of q = 0 (f16 bits).
    public var m: UInt16
    /// 4-bit quants, two per byte.
    public var qs: Bytes16

    public static var type: GGMLType { .q4_1 }

    @inline(__always)
    public func decode(_ weight: (Int, Float) -> Void) {
        let d = floatFromHalf(self.d), m = floatFromHalf(self.m)
        withBytes(qs) { qs in
            for j in 0..<16 {
                weight(j, Float(qs[j] & 0x0F) * d + m)
                weight(j + 16, Float(qs[j] >> 4) * d + m)
            }
        }
    }

    /// ggml's `quantize_row_q4_1_ref`: min ↦ 0, max ↦ 15.
    public init(quantizing x: UnsafePointer<Float>) {
        var min = Float.greatestFiniteMagnitude, max = -Float.greatestFiniteMagnitude
        for j in 0..<32 {
            if x[j] < min { min = x[j] }
            if x[j] > max { max = x[j] }
        }
        let d = (max - min) / 15
        let id: Float = d != 0 ? 1 / d : 0
        self.d = halfFromFloat(d)
        self.m = halfFromFloat(min)
        qs = zeroBytes16
        withMutableBytes(&qs) { qs in
            for j in 0..<16 {
                let q0 = truncatedInt((x[j] - min) * id + 0.5, 0, 15)
                let q1 = truncatedInt((x[j + 16] - min) * id + 0.5, 0, 15)
                qs[j] = UInt8(q0 | q1 << 4)
            }
        }
    }
}
