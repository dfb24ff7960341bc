import GGUF

/// Q6_K: 256 weights in 210 bytes: 16 groups of 16, 6-bit quants, 8-bit signed group scales.
///
///     | ql: 128 bytes | qh: 64 bytes | scales: 16 × int8 | d: f16 |
///     for half h in 0..1, l in 0..31 (n = 128h):
///       ql[64h + l]      low nibble = low 4 bits of q[n + l],      high nibble = of q[n + 64 + l]
///       ql[64h + 32 + l] low nibble = low 4 bits of q[n + 32 + l], high nibble = of q[n + 96 + l]
///       qh[32h + l]      bits 0-1, 2-3, 4-5, 6-7 = high 2 bits of q[n + l], q[n + 32 + l],
///                        q[n + 64 + l], q[n + 96 + l]
///     weight[i] = d · scale[g] · (q[i] − 32)        q[i] in 0...63, g = i / 16
public struct BlockQ6_K: QuantizedBlock {
    /// Low four bits of the quants.
    public var ql: Bytes128
    /// High two bits of the quants.
    public var qh: Bytes64
    /// Signed 8-bit group scales.
    public var scales: Bytes16
    /// Super-block scale (f16 bits).
    public var d: UInt16

    public static var type: GGMLType { .q6_K }

    @inline(__always)
    public func decode(_ weight: (Int, Float) -> Void) {
        let d = floatFromHalf(self.d)
        withBytes(ql) { ql in
            withBytes(qh) { qh in
                withBytes(scales) { scales in
                    for i in 0..<256 {
                        let h = i / 128, quarter = (i % 128) / 32, l = i % 32
                        let low = (ql[64 * h + 32 * (quarter % 2) + l] >> (4 * (quarter / 2))) & 0x0F
                        let high = (qh[32 * h + l] >> (2 * quarter)) & 3
                        let q = Int(low | high << 4) - 32
                        let sc = Float(Int8(bitPattern: scales[i / 16]))
                        weight(i, d * sc * Float(q))
                    }
                }
            }
        }
    }

    /// ggml's `quantize_row_q6_K_ref`.
    public init(quantizing x: UnsafePointer<Float>) {
        var levels = [Int8](repeating: 0, count: 256)
        var groupScales = [Float](repeating: 0, count: 16)
        var maxScale: Float = 0, maxAbsScale: Float = 0
        levels.withUnsafeMutableBufferPointer { L in
            for g in 0..<16 {
                groupScales[g] = fitSymmetricScale(x + 16 * g, count: 16, maxLevel: 32,
                                                   levels: L.baseAddress! + 16 * g)
                if abs(groupScales[g]) > maxAbsScale { maxAbsScale = abs(groupScales[g]); maxScale = groupScales[g] }
            }
        }
        ql = zeroBytes128
        qh = zeroBytes64
        scales = zeroBytes16
        d = 0
        if maxAbsScale < 1e-15 { return }

        let iscale = -128 / maxScale
        d = halfFromFloat(1 / iscale)
        withMutableBytes(&scales) { scales in
            for g in 0..<16 {
                scales[g] = UInt8(bitPattern: Int8(truncatingIfNeeded: min(127, nearestInt(iscale * groupScales[g]))))
            }
            for g in 0..<16 {
                let dl = floatFromHalf(d) * Float(Int8(bitPattern: scales[g]))
                if dl == 0 { continue }
                for l in 0..<16 {
                    levels[16 * g + l] = Int8(max(-32, min(31, nearestInt(x[16 * g + l] / dl))) + 32)
                }
            }
        }
        withMutableBytes(&ql) { ql in
            withMutableBytes(&qh) { qh in
                for i in 0..<256 {
                    let h = i / 128, quarter = (i % 128) / 32, l = i % 32
                    let q = UInt8(levels[i])
                    ql[64 * h + 32 * (quarter % 2) + l] |= (q & 0x0F) << (4 * (quarter / 2))
                    qh[32 * h + l] |= (q >> 4) << (2 * quarter)
                }
            }
        }
    }
}
