import GGUF

// Fast decoders for every block format: each writes one block's weights as floats into a small
// scratch buffer that stays in L1 (32 or 256 floats), never a whole row or matrix.
//
// They are written as plain loops over bytes on purpose. Swift's generic SIMD conversions
// (`SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded:))`) compile to out-of-line calls with a
// scalar loop inside, ~2× slower than scalar code; a fixed-length loop over a pointer is
// vectorised by LLVM into `vpmovzxbd` + `vcvtdq2ps` (AVX2) and, once inlined into a dot
// product, the scratch buffer even disappears into registers. Layouts are drawn in the
// `Blocks/` files of the naive backend and in ggml's `ggml-common.h`.

/// A block format as the SIMD backend reads it: `weights` floats packed into `bytes` bytes.
protocol BlockDecoder {
    /// Weights per block (32 or 256).
    static var weights: Int { get }
    /// Bytes per block.
    static var bytes: Int { get }
    /// Writes the `weights` floats of the block at `block` to `y`.
    static func decode(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>)
}

// MARK: - Scalars

/// IEEE half → float, exact. Uses the hardware conversion (`vcvtph2ps`, `fcvt`) where Swift has
/// `Float16`; elsewhere (macOS on Intel) the same result from integer operations.
@inline(__always)
func halfToFloat(_ bits: UInt16) -> Float {
    #if (os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64)
    let h = UInt32(bits)
    let magnitude = (h & 0x7FFF) << 13
    // Shifting the exponent and mantissa into float position and multiplying by 2^112 rebiases
    // the exponent (15 → 127) and handles subnormals; infinities and NaNs keep an all-ones exponent.
    let value = (h & 0x7C00) == 0x7C00 ? Float(bitPattern: magnitude | 0x7F80_0000)
                                       : Float(bitPattern: magnitude) * 0x1p112
    return Float(bitPattern: value.bitPattern | (h & 0x8000) << 16)
    #else
    return Float(Float16(bitPattern: bits))
    #endif
}

/// The half-precision float at `offset` bytes from `p`.
@inline(__always)
func loadHalf(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
    halfToFloat(p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
}

// MARK: - 32-weight blocks

/// Q4_0: | d: f16 | 16 bytes: low nibbles = weights 0..15, high = 16..31 |  w = d·(q − 8)
enum Q4_0Decoder: BlockDecoder {
    static var weights: Int { 32 }
    static var bytes: Int { 18 }
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let d = loadHalf(block, 0)
        let q = (block + 2).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            y[j] = Float(Int32(q[j] & 0xF) &- 8) * d
            y[j &+ 16] = Float(Int32(q[j] >> 4) &- 8) * d
        }
    }
}

/// Q4_1: | d: f16 | m: f16 | 16 bytes of nibbles |  w = d·q + m
enum Q4_1Decoder: BlockDecoder {
    static var weights: Int { 32 }
    static var bytes: Int { 20 }
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let d = loadHalf(block, 0), m = loadHalf(block, 2)
        let q = (block + 4).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            y[j] = Float(q[j] & 0xF) * d + m
            y[j &+ 16] = Float(q[j] >> 4) * d + m
        }
    }
}

/// Q5_0: | d: f16 | qh: 32 fifth bits | 16 bytes of nibbles |  w = d·(q − 16)
enum Q5_0Decoder: BlockDecoder {
    static var weights: Int { 32 }
    static var bytes: Int { 22 }
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let d = loadHalf(block, 0)
        let qh = block.loadUnaligned(fromByteOffset: 2, as: UInt32.self)
        let q = (block + 6).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            let lo = UInt32(q[j] & 0xF) | ((qh >> UInt32(j)) & 1) << 4
            let hi = UInt32(q[j] >> 4) | ((qh >> UInt32(j &+ 16)) & 1) << 4
            y[j] = Float(Int32(bitPattern: lo) &- 16) * d
            y[j &+ 16] = Float(Int32(bitPattern: hi) &- 16) * d
        }
    }
}

/// Q5_1: | d: f16 | m: f16 | qh: 32 fifth bits | 16 bytes of nibbles |  w = d·q + m
enum Q5_1Decoder: BlockDecoder {
    static var weights: Int { 32 }
    static var bytes: Int { 24 }
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let d = loadHalf(block, 0), m = loadHalf(block, 2)
        let qh = block.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
        let q = (block + 8).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            let lo = UInt32(q[j] & 0xF) | ((qh >> UInt32(j)) & 1) << 4
            let hi = UInt32(q[j] >> 4) | ((qh >> UInt32(j &+ 16)) & 1) << 4
            y[j] = Float(lo) * d + m
            y[j &+ 16] = Float(hi) * d + m
        }
    }
}

/// Q8_0: | d: f16 | 32 × int8 |  w = d·q
enum Q8_0Decoder: BlockDecoder {
    static var weights: Int { 32 }
    static var bytes: Int { 34 }
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let d = loadHalf(block, 0)
        let q = (block + 2).assumingMemoryBound(to: Int8.self)
        for j in 0..<32 { y[j] = Float(q[j]) * d }
    }
}

// MARK: - 256-weight super-blocks (K-quants)

/// The 6-bit scale and min of sub-block `j` (0..<8) of Q4_K/Q5_K's 12 packed scale bytes.
@inline(__always)
func scaleMinK4(_ j: Int, _ s: UnsafePointer<UInt8>) -> (scale: Float, min: Float) {
    if j < 4 { return (Float(s[j] & 63), Float(s[j &+ 4] & 63)) }
    let scale = (s[j &+ 4] & 0xF) | (s[j &- 4] >> 6) << 4
    let min = (s[j &+ 4] >> 4) | (s[j] >> 6) << 4
    return (Float(scale), Float(min))
}

/// Q2_K: | scales: 16 × (4-bit scale, 4-bit min) | qs: 64 bytes, 4 crumbs each | d | dmin |
/// 16 sub-blocks of 16:  w = d·scale·q − dmin·min
enum Q2_KDecoder: BlockDecoder {
    static var weights: Int { 256 }
    static var bytes: Int { 84 }
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let scales = block.assumingMemoryBound(to: UInt8.self)
        let d = loadHalf(block, 80), dmin = loadHalf(block, 82)
        for half in 0..<2 {
            let q = (block + (16 &+ 32 &* half)).assumingMemoryBound(to: UInt8.self)
            for j in 0..<4 {
                let shift = UInt8(2 &* j)
                for part in 0..<2 {
                    let sc = scales[8 &* half &+ 2 &* j &+ part]
                    let dl = d * Float(sc & 0xF)
                    let ml = dmin * Float(sc >> 4)
                    let out = y + (128 &* half &+ 32 &* j &+ 16 &* part)
                    for l in 0..<16 { out[l] = dl * Float((q[l &+ 16 &* part] >> shift) & 3) - ml }
                }
            }
        }
    }
}

/// Q3_K: | hmask: 32 bytes of third bits | qs: 64 bytes of crumbs | scales: 16 × 6 bits | d |
/// 16 sub-blocks of 16:  w = d·(scale − 32)·(q − (high bit ? 0 : 4))
enum Q3_KDecoder: BlockDecoder {
    static var weights: Int { 256 }
    static var bytes: Int { 110 }
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let hmask = block.assumingMemoryBound(to: UInt8.self)
        let d = loadHalf(block, 108)
        // Unpack the 16 six-bit scales exactly as ggml's dequantize_row_q3_K does.
        let a0 = block.loadUnaligned(fromByteOffset: 96, as: UInt32.self)
        let a1 = block.loadUnaligned(fromByteOffset: 100, as: UInt32.self)
        let a2 = block.loadUnaligned(fromByteOffset: 104, as: UInt32.self)
        let low4: UInt32 = 0x0F0F_0F0F, high2: UInt32 = 0x0303_0303
        let packed: SIMD4<UInt32> = [
            (a0 & low4) | ((a2 >> 0) & high2) << 4,
            (a1 & low4) | ((a2 >> 2) & high2) << 4,
            ((a0 >> 4) & low4) | ((a2 >> 4) & high2) << 4,
            ((a1 >> 4) & low4) | ((a2 >> 6) & high2) << 4,
        ]
        let scales = unsafeBitCast(packed, to: SIMD16<Int8>.self)
        for half in 0..<2 {
            let q = (block + (32 &+ 32 &* half)).assumingMemoryBound(to: UInt8.self)
            for j in 0..<4 {
                let shift = UInt8(2 &* j)
                let bit = UInt8(1) << UInt8(4 &* half &+ j)
                for part in 0..<2 {
                    let scale = Int32(scales[8 &* half &+ 2 &* j &+ part]) &- 32
                    let dl = d * Float(scale)
                    let out = y + (128 &* half &+ 32 &* j &+ 16 &* part)
                    for l in 0..<16 {
                        let i = l &+ 16 &* part
                        let low = Int32((q[i] >> shift) & 3)
                        let q3 = hmask[i] & bit != 0 ? low : low &- 4
                        out[l] = dl * Float(q3)
                    }
                }
            }
        }
    }
}

/// Q4_K: | d | dmin | scales: 12 bytes (8 × 6-bit scale, 8 × 6-bit min) | qs: 128 bytes |
/// 8 sub-blocks of 32:  w = d·scale·q − dmin·min
enum Q4_KDecoder: BlockDecoder {
    static var weights: Int { 256 }
    static var bytes: Int { 144 }
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let d = loadHalf(block, 0), dmin = loadHalf(block, 2)
        let scales = (block + 4).assumingMemoryBound(to: UInt8.self)
        for pair in 0..<4 {
            let q = (block + (16 &+ 32 &* pair)).assumingMemoryBound(to: UInt8.self)
            let (s1, m1) = scaleMinK4(2 &* pair, scales)
            let (s2, m2) = scaleMinK4(2 &* pair &+ 1, scales)
            let d1 = d * s1, o1 = dmin * m1, d2 = d * s2, o2 = dmin * m2
            let out = y + (64 &* pair)
            for l in 0..<32 {
                out[l] = d1 * Float(q[l] & 0xF) - o1
                out[l &+ 32] = d2 * Float(q[l] >> 4) - o2
            }
        }
    }
}

/// Q5_K: | d | dmin | scales: 12 bytes | qh: 32 bytes of fifth bits | qs: 128 bytes |
/// 8 sub-blocks of 32:  w = d·scale·q − dmin·min
enum Q5_KDecoder: BlockDecoder {
    static var weights: Int { 256 }
    static var bytes: Int { 176 }
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let d = loadHalf(block, 0), dmin = loadHalf(block, 2)
        let scales = (block + 4).assumingMemoryBound(to: UInt8.self)
        let qh = (block + 16).assumingMemoryBound(to: UInt8.self)
        for pair in 0..<4 {
            let q = (block + (48 &+ 32 &* pair)).assumingMemoryBound(to: UInt8.self)
            let (s1, m1) = scaleMinK4(2 &* pair, scales)
            let (s2, m2) = scaleMinK4(2 &* pair &+ 1, scales)
            let d1 = d * s1, o1 = dmin * m1, d2 = d * s2, o2 = dmin * m2
            let shift = UInt8(2 &* pair)
            let out = y + (64 &* pair)
            for l in 0..<32 {
                let h = qh[l] >> shift
                out[l] = d1 * Float((q[l] & 0xF) | (h & 1) << 4) - o1
                out[l &+ 32] = d2 * Float((q[l] >> 4) | (h & 2) << 3) - o2
            }
        }
    }
}

/// Q6_K: | ql: 128 bytes of low nibbles | qh: 64 bytes of 2 high bits | scales: 16 × int8 | d |
/// 16 sub-blocks of 16:  w = d·scale·(q − 32)
enum Q6_KDecoder: BlockDecoder {
    static var weights: Int { 256 }
    static var bytes: Int { 210 }
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let d = loadHalf(block, 208)
        let scales = (block + 192).assumingMemoryBound(to: Int8.self)
        for half in 0..<2 {
            let ql = (block + (64 &* half)).assumingMemoryBound(to: UInt8.self)
            let qh = (block + (128 &+ 32 &* half)).assumingMemoryBound(to: UInt8.self)
            let sc = scales + 8 &* half
            let out = y + (128 &* half)
            for g in 0..<2 {
                let s0 = d * Float(sc[g]), s2 = d * Float(sc[g &+ 2])
                let s4 = d * Float(sc[g &+ 4]), s6 = d * Float(sc[g &+ 6])
                for i in 0..<16 {
                    let l = 16 &* g &+ i
                    let h = qh[l]
                    let q1 = Int32((ql[l] & 0xF) | (h & 3) << 4) &- 32
                    let q2 = Int32((ql[l &+ 32] & 0xF) | ((h >> 2) & 3) << 4) &- 32
                    let q3 = Int32((ql[l] >> 4) | ((h >> 4) & 3) << 4) &- 32
                    let q4 = Int32((ql[l &+ 32] >> 4) | ((h >> 6) & 3) << 4) &- 32
                    out[l] = s0 * Float(q1)
                    out[l &+ 32] = s2 * Float(q2)
                    out[l &+ 64] = s4 * Float(q3)
                    out[l &+ 96] = s6 * Float(q4)
                }
            }
        }
    }
}
