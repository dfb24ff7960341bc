import GGUF

/// Q5_K: 256 weights in 176 bytes: 8 groups of 32, 5-bit quants, 6-bit group scales and mins.
///
///     | d: f16 | dmin: f16 | scales: 12 bytes (as Q4_K) | qh: 32 bytes | qs: 128 bytes |
///     qs: low 4 bits, packed as Q4_K;   qh: byte l, bit g = bit 4 of q[32g + l]
///     weight[i] = d · scale[g] · q[i] − dmin · min[g]       q[i] in 0...31, g = i / 32
public struct BlockQ5_K: QuantizedBlock {
    /// Super-block scale for the scales (f16 bits).
    public var d: UInt16
    /// Super-block scale for the mins (f16 bits).
    public var dmin: UInt16
    /// Eight 6-bit scales and eight 6-bit mins, packed as in Q4_K.
    public var scales: Bytes12
    /// Fifth bits of the quants.
    public var qh: Bytes32
    /// Low four bits of the quants, two per byte.
    public var qs: Bytes128

    public static var type: GGMLType { .q5_K }

    @inline(__always)
    public func decode(_ weight: (Int, Float) -> Void) {
        let d = floatFromHalf(self.d), dmin = floatFromHalf(self.dmin)
        withBytes(scales) { scales in
            withBytes(qh) { qh in
                withBytes(qs) { qs in
                    for g in 0..<8 {
                        let (sc, m) = scaleAndMin(g, scales)
                        let dl = d * Float(sc), ml = dmin * Float(m)
                        let shift = 4 * (g % 2)
                        for l in 0..<32 {
                            let low = (qs[32 * (g / 2) + l] >> shift) & 0x0F
                            let high: UInt8 = qh[l] & (1 << g) != 0 ? 16 : 0
                            weight(32 * g + l, dl * Float(low + high) - ml)
                        }
                    }
                }
            }
        }
    }

    /// ggml's `quantize_row_q5_K_ref`.
    public init(quantizing x: UnsafePointer<Float>) {
        var levels = [UInt8](repeating: 0, count: 256)
        let packed = quantizeScaleMinGroups(x, maxLevel: 31, rmin: -0.5, rdelta: 0.1, steps: 15, levels: &levels)
        d = packed.d; dmin = packed.dmin; scales = packed.scales
        qh = zeroBytes32
        qs = zeroBytes128
        withMutableBytes(&qh) { qh in
            withMutableBytes(&qs) { qs in
                for i in 0..<256 {
                    let g = i / 32, l = i % 32
                    qs[32 * (g / 2) + l] |= (levels[i] & 0x0F) << (4 * (g % 2))
                    if levels[i] > 15 { qh[l] |= 1 << g }
                }
            }
        }
    }
}
