import GGUF

/// Q4_K: 256 weights in 144 bytes: 8 groups of 32, 4-bit quants, 6-bit group scales and mins.
///
///     | d: f16 | dmin: f16 | scales: 12 bytes (8 scales + 8 mins, 6 bits each) | qs: 128 bytes |
///     qs: byte 32c + l: low nibble = q[64c + l], high nibble = q[64c + 32 + l]   (c in 0..3)
///     scales, see `scaleAndMin`:   bytes 0-3: EEAAAAAA …  (scale g < 4 in the low 6 bits)
///                                  bytes 4-7: eeaaaaaa …  (min g < 4 in the low 6 bits)
///                                  bytes 8-11: eeeeEEEE … (groups 4-7: low 4 bits; their high
///                                  2 bits are the top bits of bytes 0-3 / 4-7)
///     weight[i] = d · scale[g] · q[i] − dmin · min[g]       q[i] in 0...15, g = i / 32
public struct BlockQ4_K: QuantizedBlock {
    /// Super-block scale for the scales (f16 bits).
    public var d: UInt16
    /// Super-block scale for the mins (f16 bits).
    public var dmin: UInt16
    /// Eight 6-bit scales and eight 6-bit mins, packed.
    public var scales: Bytes12
    /// 4-bit quants, two per byte.
    public var qs: Bytes128

    public static var type: GGMLType { .q4_K }

    @inline(__always)
    public func decode(_ weight: (Int, Float) -> Void) {
        let d = floatFromHalf(self.d), dmin = floatFromHalf(self.dmin)
        withBytes(scales) { scales in
            withBytes(qs) { qs in
                for g in 0..<8 {
                    let (sc, m) = scaleAndMin(g, scales)
                    let dl = d * Float(sc), ml = dmin * Float(m)
                    let shift = 4 * (g % 2)
                    for l in 0..<32 {
                        let q = (qs[32 * (g / 2) + l] >> shift) & 0x0F
                        weight(32 * g + l, dl * Float(q) - ml)
                    }
                }
            }
        }
    }

    /// ggml's `quantize_row_q4_K_ref`.
    public init(quantizing x: UnsafePointer<Float>) {
        var levels = [UInt8](repeating: 0, count: 256)
        let packed = quantizeScaleMinGroups(x, maxLevel: 15, rmin: -1, rdelta: 0.1, steps: 20, levels: &levels)
        d = packed.d; dmin = packed.dmin; scales = packed.scales
        qs = zeroBytes128
        withMutableBytes(&qs) { qs in
            for i in 0..<256 {
                let g = i / 32
                qs[32 * (g / 2) + i % 32] |= levels[i] << (4 * (g % 2))
            }
        }
    }
}

/// Scale and min of group g (0..<8) from the 12 packed bytes of Q4_K and Q5_K
/// (ggml's `get_scale_min_k4`).
@inline(__always)
func scaleAndMin(_ g: Int, _ q: UnsafeRawBufferPointer) -> (scale: UInt8, min: UInt8) {
    if g < 4 {
        return (q[g] & 63, q[g + 4] & 63)
    }
    return ((q[g + 4] & 0x0F) | ((q[g - 4] >> 6) << 4),
            (q[g + 4] >> 4) | ((q[g] >> 6) << 4))
}

/// The shared first half of `quantize_row_q4_K_ref` and `quantize_row_q5_K_ref`: fit a scale
/// and min to each group of 32, quantize those to 6 bits against the super-block's d and dmin,
/// then re-quantize every weight with the rounded group scale and min into `levels`.
func quantizeScaleMinGroups(_ x: UnsafePointer<Float>, maxLevel: Int, rmin: Float, rdelta: Float, steps: Int,
                            levels: inout [UInt8]) -> (d: UInt16, dmin: UInt16, scales: Bytes12) {
    var groupScales = [Float](repeating: 0, count: 8), groupMins = [Float](repeating: 0, count: 8)
    var weights = [Float](repeating: 0, count: 32)
    var maxScale: Float = 0, maxMin: Float = 0
    for g in 0..<8 {
        var sumX2: Float = 0
        for l in 0..<32 { sumX2 += x[32 * g + l] * x[32 * g + l] }
        let averageX = (sumX2 / 32).squareRoot()
        for l in 0..<32 { weights[l] = averageX + abs(x[32 * g + l]) }
        (groupScales[g], groupMins[g]) = levels.withUnsafeMutableBufferPointer { L in
            weights.withUnsafeBufferPointer { w in
                fitScaleAndMin(x + 32 * g, count: 32, maxLevel: maxLevel, weights: w.baseAddress!,
                               levels: L.baseAddress! + 32 * g, rmin: rmin, rdelta: rdelta, steps: steps,
                               absoluteError: false)
            }
        }
        // `if (a > b)`, as ggml: Swift's max(0, -0.0) would return -0.0 and flip a sign bit.
        if groupScales[g] > maxScale { maxScale = groupScales[g] }
        if groupMins[g] > maxMin { maxMin = groupMins[g] }
    }
    let inverseScale: Float = maxScale > 0 ? 63 / maxScale : 0
    let inverseMin: Float = maxMin > 0 ? 63 / maxMin : 0
    var scales = zeroBytes12
    withMutableBytes(&scales) { scales in
        for g in 0..<8 {
            let ls = min(63, UInt8(truncatingIfNeeded: nearestInt(inverseScale * groupScales[g])))
            let lm = min(63, UInt8(truncatingIfNeeded: nearestInt(inverseMin * groupMins[g])))
            if g < 4 {
                scales[g] = ls
                scales[g + 4] = lm
            } else {
                scales[g + 4] = (ls & 0x0F) | ((lm & 0x0F) << 4)
                scales[g - 4] |= (ls >> 4) << 6
                scales[g] |= (lm >> 4) << 6
            }
        }
    }
    let d = halfFromFloat(maxScale / 63), dmin = halfFromFloat(maxMin / 63)
    withBytes(scales) { scales in
        for g in 0..<8 {
            let (sc, m) = scaleAndMin(g, scales)
            let dl = floatFromHalf(d) * Float(sc)
            if dl == 0 { continue }
            let ml = floatFromHalf(dmin) * Float(m)
            for l in 0..<32 {
                levels[32 * g + l] = UInt8(max(0, min(maxLevel, nearestInt((x[32 * g + l] + ml) / dl))))
            }
        }
    }
    return (d, dmin, scales)
}
