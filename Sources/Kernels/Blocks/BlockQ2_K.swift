import GGUF

/// Q2_K: 256 weights in 84 bytes: 16 groups of 16, 2-bit quants, 4-bit group scales and mins.
///
///     | scales: 16 bytes             | qs: 64 bytes                        | d: f16 | dmin: f16 |
///       byte g: low nibble = scale g,  byte 32h + l, bits 2s..2s+1 =
///               high nibble = min g    q[128h + 32s + l]   (h in 0..1, s in 0..3, l in 0..31)
///     group g = weights 16g ..< 16g + 16
///     weight[i] = d · scale[g] · q[i] − dmin · min[g]       q[i] in 0...3
public struct BlockQ2_K: QuantizedBlock {
    /// Group scales (low nibble) and mins (high nibble).
    public var scales: Bytes16
    /// 2-bit quants, four per byte.
    public var qs: Bytes64
    /// Super-block scale for the scales (f16 bits).
    public var d: UInt16
    /// Super-block scale for the mins (f16 bits).
    public var dmin: UInt16

    public static var type: GGMLType { .q2_K }

    @inline(__always)
    public func decode(_ weight: (Int, Float) -> Void) {
        let d = floatFromHalf(self.d), dmin = floatFromHalf(self.dmin)
        withBytes(scales) { scales in
            withBytes(qs) { qs in
                for i in 0..<256 {
                    let half = i / 128, shift = (i % 128) / 32 * 2, l = i % 32
                    let sc = scales[i / 16]
                    let dl = d * Float(sc & 0x0F), ml = dmin * Float(sc >> 4)
                    let q = (qs[32 * half + l] >> shift) & 3
                    weight(i, dl * Float(q) - ml)
                }
            }
        }
    }

    /// ggml's `quantize_row_q2_K_ref`.
    public init(quantizing x: UnsafePointer<Float>) {
        var levels = [UInt8](repeating: 0, count: 256)
        var groupScales = [Float](repeating: 0, count: 16), groupMins = [Float](repeating: 0, count: 16)
        var weights = [Float](repeating: 0, count: 16)
        var maxScale: Float = 0, maxMin: Float = 0
        for g in 0..<16 {
            for l in 0..<16 { weights[l] = abs(x[16 * g + l]) }
            (groupScales[g], groupMins[g]) = levels.withUnsafeMutableBufferPointer { L in
                weights.withUnsafeBufferPointer { w in
                    fitScaleAndMin(x + 16 * g, count: 16, maxLevel: 3, weights: w.baseAddress!,
                                   levels: L.baseAddress! + 16 * g, rmin: -0.5, rdelta: 0.1, steps: 15,
                                   absoluteError: true)
                }
            }
            if groupScales[g] > maxScale { maxScale = groupScales[g] }
            if groupMins[g] > maxMin { maxMin = groupMins[g] }
        }
        scales = zeroBytes16
        qs = zeroBytes64
        d = 0; dmin = 0
        let q4scale: Float = 15
        withMutableBytes(&scales) { scales in
            if maxScale > 0 {
                let iscale = q4scale / maxScale
                for g in 0..<16 { scales[g] = UInt8(truncatingIfNeeded: nearestInt(iscale * groupScales[g])) }
                d = halfFromFloat(maxScale / q4scale)
            }
            if maxMin > 0 {
                let iscale = q4scale / maxMin
                for g in 0..<16 { scales[g] |= UInt8(truncatingIfNeeded: nearestInt(iscale * groupMins[g]) << 4) }
                dmin = halfFromFloat(maxMin / q4scale)
            }
            for g in 0..<16 {
                let dl = floatFromHalf(d) * Float(scales[g] & 0x0F)
                if dl == 0 { continue }
                let ml = floatFromHalf(dmin) * Float(scales[g] >> 4)
                for l in 0..<16 {
                    levels[16 * g + l] = UInt8(Swift.max(0, Swift.min(3, nearestInt((x[16 * g + l] + ml) / dl))))
                }
            }
        }
        withMutableBytes(&qs) { qs in
            for i in 0..<256 {
                let half = i / 128, shift = (i % 128) / 32 * 2, l = i % 32
                qs[32 * half + l] |= levels[i] << shift
            }
        }
    }
}
