// Conversions between 32-bit floats and the two 16-bit float formats GGUF stores.
//
// Swift's `Float16` is missing on macOS x86, so these are ggml's own bit-manipulation routines
// (`ggml-impl.h`), which are exact and give the same bits on every platform.

/// IEEE half (`F16`) to float, exactly (every half is a float). ggml's `ggml_compute_fp16_to_fp32`.
///   half: | sign: 1 | exponent: 5 (bias 15) | mantissa: 10 |
@inline(__always)
public func floatFromHalf(_ h: UInt16) -> Float {
    let w = UInt32(h) << 16
    let sign = w & 0x8000_0000
    let twoW = w &+ w
    // Normal halves: move exponent and mantissa into place, then rescale the exponent bias.
    let normalized = Float(bitPattern: (twoW >> 4) &+ (0xE0 << 23)) * Float(bitPattern: 0x0780_0000) // 2^-112
    // Subnormal halves: build 0.5 + m·2^-24 and subtract the 0.5.
    let denormalized = Float(bitPattern: (twoW >> 17) | (126 << 23)) - 0.5
    let magnitude = twoW < (1 << 27) ? denormalized.bitPattern : normalized.bitPattern
    return Float(bitPattern: sign | magnitude)
}

/// Float to IEEE half, rounding to nearest even; overflow gives ±∞, NaN gives 0x7E00.
/// ggml's `ggml_compute_fp32_to_fp16`.
@inline(__always)
public func halfFromFloat(_ f: Float) -> UInt16 {
    // Scaling up then down lets the FPU do the rounding to 10 mantissa bits (and underflow).
    var base = (abs(f) * Float(bitPattern: 0x7780_0000)) * Float(bitPattern: 0x0880_0000) // 2^112, 2^-110
    let w = f.bitPattern
    let shl1W = w &+ w
    let sign = w & 0x8000_0000
    var bias = shl1W & 0xFF00_0000
    if bias < 0x7100_0000 { bias = 0x7100_0000 }
    base = Float(bitPattern: (bias >> 1) &+ 0x0780_0000) + base
    let bits = base.bitPattern
    let exponentBits = (bits >> 13) & 0x0000_7C00
    let mantissaBits = bits & 0x0000_0FFF
    let nonsign = exponentBits &+ mantissaBits
    return UInt16(truncatingIfNeeded: (sign >> 16) | (shl1W > 0xFF00_0000 ? 0x7E00 : nonsign))
}

/// Brain float (`BF16`) to float, exactly: a bf16 is the top half of a float.
///   bf16: | sign: 1 | exponent: 8 (bias 127) | mantissa: 7 |
@inline(__always)
public func floatFromBFloat16(_ h: UInt16) -> Float {
    Float(bitPattern: UInt32(h) << 16)
}

/// Float to brain float, rounding to nearest even; NaN stays a (quiet) NaN.
/// ggml's `ggml_compute_fp32_to_bf16`.
@inline(__always)
public func bfloat16FromFloat(_ f: Float) -> UInt16 {
    let u = f.bitPattern
    if u & 0x7FFF_FFFF > 0x7F80_0000 {
        return UInt16(truncatingIfNeeded: (u >> 16) | 64)
    }
    return UInt16(truncatingIfNeeded: (u &+ (0x7FFF &+ ((u >> 16) & 1))) >> 16)
}
