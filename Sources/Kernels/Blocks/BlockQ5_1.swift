import GGUF

/// Q5_1: 32 weights in 24 bytes, 5-bit with a minimum.
///
///     | d: f16 | m: f16 | qh: 4 bytes (u32 LE)   | qs: 16 bytes            |
///                          bit i = bit 4 of q[i]    as in Q5_0
///     weight[i] = d · q[i] + m          q[i] in 0...31
public struct BlockQ5_1: QuantizedBlock {
    /// Scale (f16 bits).
    public var d: UInt16
    /// Minimum, the value of q = 0 (f16 bits).
    public var m: UInt16
    /// Fifth bits of the 32 quants.
    public var qh: Bytes4
    /// Low four bits of the quants, two per byte.
    public var qs: Bytes16

    public static var type: GGMLType { .q5_1 }

    @inline(__always)
    public func decode(_ weight: (Int, Float) -> Void) {
        let d = floatFromHalf(self.d), m = floatFromHalf(self.m)
        let qh = withBytes(self.qh) { $0.loadUnaligned(as: UInt32.self) }.littleEndian
        withBytes(qs) { qs in
            for j in 0..<16 {
                let high0 = Int((qh >> UInt32(j)) & 1) << 4
                let high1 = Int((qh >> UInt32(j + 16)) & 1) << 4
                weight(j, Float(Int(qs[j] & 0x0F) | high0) * d + m)
                weight(j + 16, Float(Int(qs[j] >> 4) | high1) * d + m)
            }
        }
    }

    /// ggml's `quantize_row_q5_1_ref`: min ↦ 0, max ↦ 31.
    public init(quantizing x: UnsafePointer<Float>) {
        var min = Float.greatestFiniteMagnitude, max = -Float.greatestFiniteMagnitude
        for j in 0..<32 {
            if x[j] < min { min = x[j] }
            if x[j] > max { max = x[j] }
        }
        let d = (max - min) / 31
        let id: Float = d != 0 ? 1 / d : 0
        self.d = halfFromFloat(d)
        self.m = halfFromFloat(min)
        var qh: UInt32 = 0
        qs = zeroBytes16
        withMutableBytes(&qs) { qs in
            for j in 0..<16 {
                let q0 = truncatedInt((x[j] - min) * id + 0.5, 0, 31)
                let q1 = truncatedInt((x[j + 16] - min) * id + 0.5, 0, 31)
                qs[j] = UInt8((q0 & 0x0F) | (q1 & 0x0F) << 4)
                qh |= UInt32(q0 >> 4) << UInt32(j)
                qh |= UInt32(q1 >> 4) << UInt32(j + 16)
            }
        }
        self.qh = zeroBytes4
        withMutableBytes(&self.qh) { $0.storeBytes(of: qh.littleEndian, as: UInt32.self) }
    }
}
