import GGUF

/// Q3_K: 256 weights in 110 bytes: 16 groups of 16, 3-bit quants, 6-bit signed group scales.
///
///     | hmask: 32 bytes            | qs: 64 bytes                | scales: 12 bytes | d: f16 |
///       byte l, bit b = bit 2 of     low 2 bits, packed as Q2_K     16 × 6 bits, see below
///       q[32b + l]
///     scales: byte j < 8: low nibble = low 4 bits of scale j, high nibble = of scale j + 8;
///             byte 8 + k: bits 2m..2m+1 = high 2 bits of scale 4m + k
///     weight[i] = d · (scale[g] − 32) · (q[i] − 4)          q[i] in 0...7, g = i / 16
///     (a set hmask bit means q ≥ 4: "strangely, the offset is zero when the bit is 1")
public struct BlockQ3_K: QuantizedBlock {
    /// Bit 2 of every quant.
    public var hmask: Bytes32
    /// Low two bits of every quant, four per byte.
    public var qs: Bytes64
    /// Sixteen 6-bit scales, packed.
    public var scales: Bytes12
    /// Super-block scale (f16 bits).
    public var d: UInt16

    public static var type: GGMLType { .q3_K }

    /// Scale of group g (0...63, stored with an offset of 32).
    @inline(__always)
    static func scale(_ g: Int, _ scales: UnsafeRawBufferPointer) -> Int {
        let low = g < 8 ? scales[g] & 0x0F : scales[g - 8] >> 4
        let high = (scales[8 + g % 4] >> (2 * (g / 4))) & 3
        return Int(low | high << 4)
    }

    @inline(__always)
    public func decode(_ weight: (Int, Float) -> Void) {
        let d = floatFromHalf(self.d)
        withBytes(scales) { scales in
            withBytes(hmask) { hmask in
                withBytes(qs) { qs in
                    for i in 0..<256 {
                        let half = i / 128, shift = (i % 128) / 32 * 2, l = i % 32
                        let dl = d * Float(Self.scale(i / 16, scales) - 32)
                        let low = Int((qs[32 * half + l] >> shift) & 3)
                        let isHigh = hmask[l] & (1 << (i / 32)) != 0
                        weight(i, dl * Float(low - (isHigh ? 0 : 4)))
                    }
                }
            }
        }
    }

    /// ggml's `quantize_row_q3_K_ref`.
    public init(quantizing x: UnsafePointer<Float>) {
        var levels = [Int8](repeating: 0, count: 256)
        var groupScales = [Float](repeating: 0, count: 16)
        var maxScale: Float = 0, amax: Float = 0
        levels.withUnsafeMutableBufferPointer { L in
            for g in 0..<16 {
                groupScales[g] = fitSymmetricScale3(x + 16 * g, count: 16, maxLevel: 4,
                                                    levels: L.baseAddress! + 16 * g)
                if abs(groupScales[g]) > amax { amax = abs(groupScales[g]); maxScale = groupScales[g] }
            }
        }
        hmask = zeroBytes32
        qs = zeroBytes64
        scales = zeroBytes12
        d = 0
        withMutableBytes(&scales) { scales in
            if maxScale != 0 {
                let iscale = -32 / maxScale
                for g in 0..<16 {
                    let l = UInt8(Swift.max(-32, Swift.min(31, Int(Int8(truncatingIfNeeded: nearestInt(iscale * groupScales[g]))))) + 32)
                    if g < 8 { scales[g] = l & 0x0F } else { scales[g - 8] |= (l & 0x0F) << 4 }
                    scales[g % 4 + 8] |= (l >> 4) << (2 * (g / 4))
                }
                d = halfFromFloat(1 / iscale)
            }
            for g in 0..<16 {
                let dl = floatFromHalf(d) * Float(Self.scale(g, UnsafeRawBufferPointer(scales)) - 32)
                if dl == 0 { continue }
                for l in 0..<16 {
                    levels[16 * g + l] = Int8(Swift.max(-4, Swift.min(3, nearestInt(x[16 * g + l] / dl))) + 4)
                }
            }
        }
        withMutableBytes(&hmask) { hmask in
            for i in 0..<256 where levels[i] > 3 {
                hmask[i % 32] |= 1 << (i / 32)
                levels[i] -= 4
            }
        }
        withMutableBytes(&qs) { qs in
            for i in 0..<256 {
                let half = i / 128, shift = (i % 128) / 32 * 2, l = i % 32
                qs[32 * half + l] |= UInt8(levels[i]) << shift
            }
        }
    }
}
