import GGUF

/// Q8_0: 32 weights in 34 bytes, symmetric 8-bit.
///
///     | d: f16 | qs: 32 × int8 |
///     weight[i] = d · q[i]              q[i] in −127...127
public struct BlockQ8_0: QuantizedBlock {
    /// Scale (f16 bits).
    public var d: UInt16
    /// Signed 8-bit quants.
    public var qs: Bytes32

    public static var type: GGMLType { .q8_0 }

    @inline(__always)
    public func decode(_ weight: (Int, Float) -> Void) {
        let d = floatFromHalf(self.d)
        withBytes(qs) { qs in
            for j in 0..<32 {
                weight(j, Float(Int8(bitPattern: qs[j])) * d)
            }
        }
    }

    /// ggml's `quantize_row_q8_0_ref`: d = max|x| / 127, q = round(x / d) (ties away from zero).
    public init(quantizing x: UnsafePointer<Float>) {
        var amax: Float = 0
        for j in 0..<32 { amax = Swift.max(amax, abs(x[j])) }
        let d = amax / 127
        let id: Float = d != 0 ? 1 / d : 0
        self.d = halfFromFloat(d)
        qs = zeroBytes32
        withMutableBytes(&qs) { qs in
            for j in 0..<32 {
                let q = truncatedInt((x[j] * id).rounded(.toNearestOrAwayFromZero), -128, 127)
                qs[j] = UInt8(bitPattern: Int8(q))
            }
        }
    }
}
