import GGUF

/// Q5_0: 32 weights in 22 bytes, symmetric 5-bit.
///
///     | d: f16 | qh: 4 bytes (u32 LE)   | qs: 16 bytes                      |
///                 bit i = bit 4 of q[i]    byte j: low nibble = low 4 bits of q[j],
///                                                  high nibble = low 4 bits of q[j + 16]
///     weight[i] = d · (q[i] − 16)       q[i] in 0...31
public struct BlockQ5_0: QuantizedBlock {
    /// Scale (f16 bits).
    public var d: UInt16
    /// Fifth bits of the 32 quants.
    public var qh: Bytes4
    /// Low four bits of the quants, two per byte.
    public var qs: Bytes16

    public static var type: GGMLType { .q5_0 }

    @inline(__always)
    public func decode(_ weight: (Int, Float) -> Void) {
        let d = floatFromHalf(self.d)
        let qh = withBytes(self.qh) { $0.loadUnaligned(as: UInt32.self) }.littleEndian
        withBytes(qs) { qs in
            for j in 0..<16 {
                let high0 = Int((qh >> UInt32(j)) & 1) << 4
                let high1 = Int((qh >> UInt32(j + 16)) & 1) << 4
                weight(j, Float((Int(qs[j] & 0x0F) | high0) - 16) * d)
                weight(j + 16, Float((Int(qs[j] >> 4) | high1) - 16) * d)
            }
        }
    }

    /// ggml's `quantize_row_q5_0_ref`: the weight of largest magnitude maps to −16 exactly.
    public init(quantizing x: UnsafePointer<Float>) {
        var amax: Float = 0, max: Float = 0
        for j in 0..<32 where amax < abs(x[j]) {
            amax = abs(x[j]); max = x[j]
        }
        let d = max / -16
        let id: Float = d != 0 ? 1 / d : 0
        self.d = halfFromFloat(d)
        var qh: UInt32 = 0
        qs = zeroBytes16
        withMutableBytes(&qs) { qs in
            for j in 0..<16 {
                let q0 = truncatedInt(x[j] * id + 16.5, 0, 31)
                let q1 = truncatedInt(x[j + 16] * id + 16.5, 0, 31)
                qs[j] = UInt8((q0 & 0x0F) | (q1 & 0x0F) << 4)
                qh |= UInt32(q0 >> 4) << UInt32(j)
                qh |= UInt32(q1 >> 4) << UInt32(j + 16)
            }
        }
        self.qh = zeroBytes4
        withMutableBytes(&self.qh) { $0.storeBytes(of: qh.littleEndian, as: UInt32.self) }
    }
}
