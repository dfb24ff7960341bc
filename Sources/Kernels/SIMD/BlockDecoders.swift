import GGUF

// Fast decoders for every block format: each writes 32 weights of a block as floats into a
// small scratch buffer (in registers once inlined), never a whole row or matrix.
//
// They are written as plain loops over bytes on purpose. Swift's generic SIMD conversions
// (`SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded:))`) compile to out-of-line calls with a
// scalar loop inside, ~2× slower than scalar code; a fixed-length loop over a pointer is
// vectorised by LLVM into `vpmovzxbd` + `vcvtdq2ps` (AVX2) and, once inlined into a dot
// product, the scratch buffer even disappears into registers. Layouts are drawn in the
// `Blocks/` files of the naive backend and in ggml's `ggml-common.h`.

/// A block format as the SIMD backend reads it: `weights` floats packed into `bytes` bytes,
/// decoded 32 weights (one *part*) at a time. 32 floats are four AVX2 registers: a dot product
/// keeps a decoded part in registers, where a whole 256-weight block would go through memory.
protocol BlockDecoder {
    /// Weights per block (32 or 256).
    static var weights: Int { get }
    /// Bytes per block.
    static var bytes: Int { get }
    /// Writes weights `32·part ..< 32·part + 32` of the block at `block` to y[0..<32].
    static func decodePart(_ block: UnsafeRawPointer, _ part: Int, into y: UnsafeMutablePointer<Float>)
}

extension BlockDecoder {
    /// 32-weight parts per block.
    static var parts: Int { weights / 32 }

    /// Writes all `weights` floats of the block at `block` to `y`.
    @inline(__always)
    static func decode(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        for part in 0..<parts { decodePart(block, part, into: y + part &* 32) }
    }
}

// MARK: - Scalars

/// IEEE half → float, exact, from integer operations.
///
/// Why not `Float(Float16(bitPattern:))`: on x86 it compiles to `vpinsrw` into whatever vector
/// register is free, which creates a false dependency on that register's last writer — often
/// an accumulator of the dot product — and chains every block's scale behind the previous
/// block's FMAs (measured: Q8_0 dot 3× slower). These integer operations have no such
/// dependency, vectorise when used in a loop, and also work where Swift lacks `Float16`
/// (macOS on Intel).
@inline(__always)
func halfToFloat(_ bits: UInt16) -> Float {
    let h = UInt32(bits)
    let magnitude = (h & 0x7FFF) << 13
    // Shifting exponent and mantissa into float position and multiplying by 2^112 rebiases the
    // exponent (15 → 127) and handles subnormals; infinities and NaNs keep an all-ones exponent.
    let value = (h & 0x7C00) == 0x7C00 ? Float(bitPattern: magnitude | 0x7F80_0000)
                                       : Float(bitPattern: magnitude) * 0x1p112
    return Float(bitPattern: value.bitPattern | (h & 0x8000) << 16)
}

/// The half-precision float at `offset` bytes from `p` (a block's scale).
///
/// It loads the 4 bytes that hold the half and its neighbour (always inside the block: the
/// previous 2 bytes, or the next 2 for a scale at offset 0) with a zero-extending `vmovd`, and
/// converts with `vcvtph2ps`: three instructions where `halfToFloat` needs ten, and no false
/// dependency (see `halfToFloat`). Measured: Q4_1 dot product ~15 % faster.
@inline(__always)
func loadHalf(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
    #if (os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64)
    return halfToFloat(p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    #else
    if offset >= 2 {
        let pair = unsafeBitCast(p.loadUnaligned(fromByteOffset: offset - 2, as: UInt32.self), to: SIMD2<Float16>.self)
        return Float(pair[1])
    }
    let pair = unsafeBitCast(p.loadUnaligned(fromByteOffset: offset, as: UInt32.self), to: SIMD2<Float16>.self)
    return Float(pair[0])
    #endif
}

// MARK: - 32-weight blocks

/// Q4_0: | d: f16 | 16 bytes: low nibbles = weights 0..15, high = 16..31 |  w = d·(q − 8)
enum Q4_0Decoder: BlockDecoder {
    static var weights: Int { 32 }
    static var bytes: Int { 18 }
    @inline(__always)
    static func decodePart(_ block: UnsafeRawPointer, _ part: Int, into y: UnsafeMutablePointer<Float>) {
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
    static func decodePart(_ block: UnsafeRawPointer, _ part: Int, into y: UnsafeMutablePointer<Float>) {
        let d = loadHalf(block, 0), m = loadHalf(block, 2)
        let q = (block + 4).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            y[j] = m.addingProduct(Float(q[j] & 0xF), d)
            y[j &+ 16] = m.addingProduct(Float(q[j] >> 4), d)
        }
    }
}

/// Q5_0: | d: f16 | qh: 32 fifth bits | 16 bytes of nibbles |  w = d·(q − 16)
enum Q5_0Decoder: BlockDecoder {
    static var weights: Int { 32 }
    static var bytes: Int { 22 }
    @inline(__always)
    static func decodePart(_ block: UnsafeRawPointer, _ part: Int, into y: UnsafeMutablePointer<Float>) {
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
    static func decodePart(_ block: UnsafeRawPointer, _ part: Int, into y: UnsafeMutablePointer<Float>) {
        let d = loadHalf(block, 0), m = loadHalf(block, 2)
        let qh = block.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
        let q = (block + 8).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            let lo = UInt32(q[j] & 0xF) | ((qh >> UInt32(j)) & 1) << 4
            let hi = UInt32(q[j] >> 4) | ((qh >> UInt32(j &+ 16)) & 1) << 4
            y[j] = m.addingProduct(Float(lo), d)
            y[j &+ 16] = m.addingProduct(Float(hi), d)
        }
    }
}

/// Q8_0: | d: f16 | 32 × int8 |  w = d·q
enum Q8_0Decoder: BlockDecoder {
    static var weights: Int { 32 }
    static var bytes: Int { 34 }
    @inline(__always)
    static func decodePart(_ block: UnsafeRawPointer, _ part: Int, into y: UnsafeMutablePointer<Float>) {
        let d = loadHalf(block, 0)
        let q = (block + 2).assumingMemoryBound(to: Int8.self)
        for j in 0..<32 { y[j] = Float(q[j]) * d }
    }
}

// MARK: - 256-weight super-blocks (K-quants)

/// The 6-bit scale and min of sub-block `j` (0..<8) of Q4_K/Q5_K's 12 packed scale bytes, as
/// floats: the block format's own `scaleAndMin`.
@inline(__always)
func scaleMinK4(_ j: Int, _ s: UnsafePointer<UInt8>) -> (scale: Float, min: Float) {
    let (scale, min) = scaleAndMin(j, UnsafeRawBufferPointer(start: s, count: 12))
    return (Float(scale), Float(min))
}

/// Q2_K: | scales: 16 × (4-bit scale, 4-bit min) | qs: 64 bytes, 4 crumbs each | d | dmin |
/// 16 sub-blocks of 16:  w = d·scale·q − dmin·min. Part p: crumb pair j = p mod 4 of the
/// 32 bytes of half p/4, bytes 0..15 then 16..31, each 16 with its own scale.
enum Q2_KDecoder: BlockDecoder {
    static var weights: Int { 256 }
    static var bytes: Int { 84 }
    @inline(__always)
    static func decodePart(_ block: UnsafeRawPointer, _ part: Int, into y: UnsafeMutablePointer<Float>) {
        let scales = block.assumingMemoryBound(to: UInt8.self)
        let d = loadHalf(block, 80), dmin = loadHalf(block, 82)
        let q = (block + (16 &+ 32 &* (part >> 2))).assumingMemoryBound(to: UInt8.self)
        let shift = UInt8(2 &* (part & 3))
        for half in 0..<2 {
            let sc = scales[2 &* part &+ half]
            let dl = d * Float(sc & 0xF)
            let ml = dmin * Float(sc >> 4)
            for l in 0..<16 {
                y[16 &* half &+ l] = dl * Float((q[16 &* half &+ l] >> shift) & 3) - ml
            }
        }
    }
}

/// Q3_K: | hmask: 32 bytes of third bits | qs: 64 bytes of crumbs | scales: 16 × 6 bits | d |
/// 16 sub-blocks of 16:  w = d·(scale − 32)·(q − (high bit ? 0 : 4)). Parts as in Q2_K; the
/// third bit of part p is bit p of hmask.
enum Q3_KDecoder: BlockDecoder {
    static var weights: Int { 256 }
    static var bytes: Int { 110 }

    /// Scale `i` (0..<16) of the 12 packed bytes, as ggml's dequantize_row_q3_K unpacks them:
    /// low 4 bits from bytes 0..7, high 2 bits from bytes 8..11.
    @inline(__always)
    static func scale(_ s: UnsafePointer<UInt8>, _ i: Int) -> Int32 {
        let low = i < 8 ? s[i] & 0xF : s[i &- 8] >> 4
        let high = (s[8 &+ (i & 3)] >> UInt8(2 &* (i >> 2))) & 3
        return Int32(low | high << 4) &- 32
    }

    @inline(__always)
    static func decodePart(_ block: UnsafeRawPointer, _ part: Int, into y: UnsafeMutablePointer<Float>) {
        let hmask = block.assumingMemoryBound(to: UInt8.self)
        let scales = (block + 96).assumingMemoryBound(to: UInt8.self)
        let d = loadHalf(block, 108)
        let q = (block + (32 &+ 32 &* (part >> 2))).assumingMemoryBound(to: UInt8.self)
        let shift = UInt8(2 &* (part & 3))
        let bit = UInt8(1) << UInt8(part)
        for half in 0..<2 {
            let dl = d * Float(scale(scales, 2 &* part &+ half))
            for l in 0..<16 {
                let i = 16 &* half &+ l
                let low = Int32((q[i] >> shift) & 3)
                y[i] = dl * Float(hmask[i] & bit != 0 ? low : low &- 4)
            }
        }
    }
}

/// Q4_K: | d | dmin | scales: 12 bytes (8 × 6-bit scale, 8 × 6-bit min) | qs: 128 bytes |
/// 8 sub-blocks of 32:  w = d·scale·q − dmin·min. Part p: low nibbles (p even) or high
/// nibbles (p odd) of bytes 32·(p/2) ..< 32·(p/2) + 32.
enum Q4_KDecoder: BlockDecoder {
    static var weights: Int { 256 }
    static var bytes: Int { 144 }
    @inline(__always)
    static func decodePart(_ block: UnsafeRawPointer, _ part: Int, into y: UnsafeMutablePointer<Float>) {
        let d = loadHalf(block, 0), dmin = loadHalf(block, 2)
        let (scale, min) = scaleMinK4(part, (block + 4).assumingMemoryBound(to: UInt8.self))
        let q = (block + (16 &+ 32 &* (part >> 1))).assumingMemoryBound(to: UInt8.self)
        let dl = d * scale, ml = -(dmin * min)
        let shift = UInt8(4 &* (part & 1))
        for l in 0..<32 { y[l] = ml.addingProduct(dl, Float((q[l] >> shift) & 0xF)) }
    }
}

/// Q5_K: | d | dmin | scales: 12 bytes | qh: 32 bytes of fifth bits | qs: 128 bytes |
/// 8 sub-blocks of 32:  w = d·scale·q − dmin·min. Parts as in Q4_K; the fifth bit of part p
/// is bit p of qh[l].
enum Q5_KDecoder: BlockDecoder {
    static var weights: Int { 256 }
    static var bytes: Int { 176 }
    @inline(__always)
    static func decodePart(_ block: UnsafeRawPointer, _ part: Int, into y: UnsafeMutablePointer<Float>) {
        let d = loadHalf(block, 0), dmin = loadHalf(block, 2)
        let (scale, min) = scaleMinK4(part, (block + 4).assumingMemoryBound(to: UInt8.self))
        let qh = (block + 16).assumingMemoryBound(to: UInt8.self)
        let q = (block + (48 &+ 32 &* (part >> 1))).assumingMemoryBound(to: UInt8.self)
        let dl = d * scale, ml = -(dmin * min)
        let shift = UInt8(4 &* (part & 1)), bit = UInt8(part)
        for l in 0..<32 {
            let value = (q[l] >> shift) & 0xF | ((qh[l] >> bit) & 1) << 4
            y[l] = ml.addingProduct(dl, Float(value))
        }
    }
}

/// Q6_K: | ql: 128 bytes of low nibbles | qh: 64 bytes of 2 high bits | scales: 16 × int8 | d |
/// 16 sub-blocks of 16:  w = d·scale·(q − 32). Part p = 4·half + k: low (k even) or high
/// (k odd) nibbles of ql[64·half + 32·(k mod 2)...], high bits (qh >> 2k) & 3, scales
/// 2k and 2k+1 of the half's 8.
enum Q6_KDecoder: BlockDecoder {
    static var weights: Int { 256 }
    static var bytes: Int { 210 }
    @inline(__always)
    static func decodePart(_ block: UnsafeRawPointer, _ part: Int, into y: UnsafeMutablePointer<Float>) {
        let d = loadHalf(block, 208)
        let half = part >> 2, k = part & 3
        let sc = (block + (192 &+ 8 &* half &+ 2 &* k)).assumingMemoryBound(to: Int8.self)
        let ql = (block + (64 &* half &+ 32 &* (k & 1))).assumingMemoryBound(to: UInt8.self)
        let qh = (block + (128 &+ 32 &* half)).assumingMemoryBound(to: UInt8.self)
        let lowShift = UInt8(4 &* (k >> 1)), highShift = UInt8(2 &* k)
        for g in 0..<2 {
            let s = d * Float(sc[g])
            for i in 0..<16 {
                let l = 16 &* g &+ i
                let q = Int32((ql[l] >> lowShift) & 0xF | ((qh[l] >> highShift) & 3) << 4) &- 32
                y[l] = s * Float(q)
            }
        }
    }
}
