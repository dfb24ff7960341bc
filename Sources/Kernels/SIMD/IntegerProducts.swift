// The two integer instructions that make llama.cpp's quantized dot products fast on x86, and
// what they compute, written out.
//
// Swift's SIMD types have no operation for "multiply bytes and add neighbouring products into
// 16-bit lanes", and LLVM does not find it in plain Swift code: it splits the lanes into even
// and odd halves and emulates it with four times the instructions (measured). So on x86-64 the
// instruction is called by name, through the compiler's `Builtin` module, which exposes LLVM's
// intrinsics (the package passes `-enable-builtin-module` to this target). Everywhere else the
// plain Swift definition below is used, and the tests check that both agree.
//
// This is the one place where Loupe names a CPU instruction. It is the equivalent of ggml's
// `_mm256_maddubs_epi16` / `_mm256_madd_epi16` in `ggml-cpu/arch/x86/quants.c`.

#if arch(x86_64)
import Builtin
#endif

/// `a[2i]·b[2i] + a[2i+1]·b[2i+1]` for i in 0..<16, each product of an unsigned and a signed
/// byte, the sum saturated to Int16 (x86 `vpmaddubsw`).
///
/// Kernels keep the sums far from saturation: codes below 64 times |b| ≤ 127 give at most 16,002.
@inline(__always)
func multiplyAddPairs(_ a: SIMD32<UInt8>, _ b: SIMD32<Int8>) -> SIMD16<Int16> {
    #if arch(x86_64)
    let sums = Builtin.int_x86_avx2_pmadd_ub_sw(unsafeBitCast(a, to: Builtin.Vec32xInt8.self),
                                                unsafeBitCast(b, to: Builtin.Vec32xInt8.self))
    return unsafeBitCast(sums, to: SIMD16<Int16>.self)
    #else
    return referenceMultiplyAddPairs(a, b)
    #endif
}

/// `a[2i]·b[2i] + a[2i+1]·b[2i+1]` for i in 0..<8, products and sums in Int32 (x86 `vpmaddwd`).
@inline(__always)
func multiplyAddPairs(_ a: SIMD16<Int16>, _ b: SIMD16<Int16>) -> SIMD8<Int32> {
    #if arch(x86_64)
    let sums = Builtin.int_x86_avx2_pmadd_wd(unsafeBitCast(a, to: Builtin.Vec16xInt16.self),
                                             unsafeBitCast(b, to: Builtin.Vec16xInt16.self))
    return unsafeBitCast(sums, to: SIMD8<Int32>.self)
    #else
    return referenceMultiplyAddPairs(a, b)
    #endif
}

/// Σ a·b by groups of 4 bytes: lane i = a[4i]·b[4i] + … + a[4i+3]·b[4i+3], for unsigned codes
/// a < 64 and signed activations b. Lanes 0…3 cover bytes 0…15 and lanes 4…7 bytes 16…31, so
/// the two halves of a 32-code part stay apart (each half has its own scales).
@inline(__always)
func dotByQuads(_ a: SIMD32<UInt8>, _ b: SIMD32<Int8>) -> SIMD8<Int32> {
    multiplyAddPairs(multiplyAddPairs(a, b), SIMD16(repeating: 1))
}

/// As `dotByQuads` for signed codes a (−128…127). The product a·b is computed as |a|·(±b), with
/// the sign of a moved onto b, because the byte instruction wants its first operand unsigned
/// (ggml's `mul_sum_i8_pairs_float` does the same).
@inline(__always)
func signedDotByQuads(_ a: SIMD32<Int8>, _ b: SIMD32<Int8>) -> SIMD8<Int32> {
    dotByQuads(unsafeBitCast(copySign(of: a, to: a), to: SIMD32<UInt8>.self), copySign(of: a, to: b))
}

#if AVX512
/// `dotByQuads` of two 32-code parts at once, in AVX-512's 64-byte registers: lanes 0…7 are
/// the first part's (`dotByQuads(a.lowHalf, b.lowHalf)`), lanes 8…15 the second's. The same
/// sums exactly: with VNNI one `vpdpbusd` adds the 4 products of each lane in Int32, which
/// `vpmaddubsw` then `vpmaddwd` do in two steps without ever saturating (sums below 2^15).
@inline(__always)
func dotByQuads(_ a: SIMD64<UInt8>, _ b: SIMD64<Int8>) -> SIMD16<Int32> {
    #if AVX512VNNI
    let sums = Builtin.int_x86_avx512_vpdpbusd_512(unsafeBitCast(SIMD16<Int32>(), to: Builtin.Vec16xInt32.self),
                                                   unsafeBitCast(a, to: Builtin.Vec16xInt32.self),
                                                   unsafeBitCast(b, to: Builtin.Vec16xInt32.self))
    return unsafeBitCast(sums, to: SIMD16<Int32>.self)
    #else
    let pairs = Builtin.int_x86_avx512_pmaddubs_w_512(unsafeBitCast(a, to: Builtin.Vec64xInt8.self),
                                                      unsafeBitCast(b, to: Builtin.Vec64xInt8.self))
    let sums = Builtin.int_x86_avx512_pmaddw_d_512(pairs, unsafeBitCast(SIMD32<Int16>(repeating: 1), to: Builtin.Vec32xInt16.self))
    return unsafeBitCast(sums, to: SIMD16<Int32>.self)
    #endif
}

#if AVX512VNNI
/// acc + Σ a·b by groups of 4 bytes in each of 16 Int32 lanes, a's bytes unsigned and b's
/// signed (`vpdpbusd`): the integer GEMM's step.
@inline(__always)
func accumulatingDotByQuads(_ acc: SIMD16<Int32>, _ a: SIMD16<Int32>, _ b: SIMD16<Int32>) -> SIMD16<Int32> {
    unsafeBitCast(Builtin.int_x86_avx512_vpdpbusd_512(unsafeBitCast(acc, to: Builtin.Vec16xInt32.self),
                                                      unsafeBitCast(a, to: Builtin.Vec16xInt32.self),
                                                      unsafeBitCast(b, to: Builtin.Vec16xInt32.self)),
                  to: SIMD16<Int32>.self)
}
#endif

/// `signedDotByQuads` of two parts at once (lanes as in `dotByQuads` above), given as halves:
/// AVX-512 has no 64-byte `vpsignb`, so the signs are moved in each 32-byte half.
@inline(__always)
func signedDotByQuads(_ a0: SIMD32<Int8>, _ a1: SIMD32<Int8>, _ b0: SIMD32<Int8>, _ b1: SIMD32<Int8>) -> SIMD16<Int32> {
    let magnitudes = SIMD64(lowHalf: copySign(of: a0, to: a0), highHalf: copySign(of: a1, to: a1))
    let signed = SIMD64(lowHalf: copySign(of: a0, to: b0), highHalf: copySign(of: a1, to: b1))
    return dotByQuads(unsafeBitCast(magnitudes, to: SIMD64<UInt8>.self), signed)
}

/// The lanes as floats (`vcvtdq2ps` on 16 lanes).
@inline(__always)
func floats(_ v: SIMD16<Int32>) -> SIMD16<Float> {
    unsafeBitCast(Builtin.sitofp_Vec16xInt32_Vec16xFPIEEE32(unsafeBitCast(v, to: Builtin.Vec16xInt32.self)), to: SIMD16<Float>.self)
}
#endif

/// Each group of 4 lanes (4i…4i+3) set to the sum of its 4 lanes: the quad sums of one half-part
/// (16 columns) become that half's exact sum, once in each of its lanes. Two in-lane swaps
/// (`vpermilps`) and two additions.
@inline(__always)
func halfSums(_ v: SIMD8<Int32>) -> SIMD8<Int32> {
    #if arch(x86_64)
    @inline(__always) func swapped(_ v: SIMD8<Int32>, _ order: SIMD8<Int32>) -> SIMD8<Int32> {
        unsafeBitCast(Builtin.int_x86_avx_vpermilvar_ps_256(unsafeBitCast(v, to: Builtin.Vec8xFPIEEE32.self),
                                                            unsafeBitCast(order, to: Builtin.Vec8xInt32.self)),
                      to: SIMD8<Int32>.self)
    }
    let pairs = v &+ swapped(v, SIMD8(1, 0, 3, 2, 1, 0, 3, 2))
    return pairs &+ swapped(pairs, SIMD8(2, 3, 0, 1, 2, 3, 0, 1))
    #else
    return referenceHalfSums(v)
    #endif
}

#if AVX512
/// `halfSums` on 16 lanes (4 half-parts).
@inline(__always)
func halfSums(_ v: SIMD16<Int32>) -> SIMD16<Int32> {
    @inline(__always) func swapped(_ v: SIMD16<Int32>, _ order: SIMD16<Int32>) -> SIMD16<Int32> {
        unsafeBitCast(Builtin.int_x86_avx512_vpermilvar_ps_512(unsafeBitCast(v, to: Builtin.Vec16xFPIEEE32.self),
                                                              unsafeBitCast(order, to: Builtin.Vec16xInt32.self)),
                      to: SIMD16<Int32>.self)
    }
    let pairs = v &+ swapped(v, SIMD16(1, 0, 3, 2, 1, 0, 3, 2, 1, 0, 3, 2, 1, 0, 3, 2))
    return pairs &+ swapped(pairs, SIMD16(2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1))
}
#endif

/// b[i] where a[i] > 0, −b[i] where a[i] < 0, 0 where a[i] = 0 (x86 `vpsignb`). With a = b it is
/// |a| (−128 stays 0x80, which is 128 read as unsigned).
@inline(__always)
func copySign(of a: SIMD32<Int8>, to b: SIMD32<Int8>) -> SIMD32<Int8> {
    #if arch(x86_64)
    let signed = Builtin.int_x86_avx2_psign_b(unsafeBitCast(b, to: Builtin.Vec32xInt8.self),
                                              unsafeBitCast(a, to: Builtin.Vec32xInt8.self))
    return unsafeBitCast(signed, to: SIMD32<Int8>.self)
    #else
    return referenceCopySign(of: a, to: b)
    #endif
}

/// In each 16-byte half of `table`, byte i becomes table[indices[i]] of the same half
/// (indices 0…15; x86 `vpshufb`).
@inline(__always)
func shuffleBytes(_ table: SIMD32<UInt8>, _ indices: SIMD32<UInt8>) -> SIMD32<UInt8> {
    #if arch(x86_64)
    let shuffled = Builtin.int_x86_avx2_pshuf_b(unsafeBitCast(table, to: Builtin.Vec32xInt8.self),
                                                unsafeBitCast(indices, to: Builtin.Vec32xInt8.self))
    return unsafeBitCast(shuffled, to: SIMD32<UInt8>.self)
    #else
    return referenceShuffleBytes(table, indices)
    #endif
}

/// The lanes as floats (`vcvtdq2ps`). The same as `SIMD8<Float>(v)`, which the optimizer
/// sometimes leaves as a function call in a large loop (measured: a third of a Q5_0 product
/// spent spilling registers around it).
@inline(__always)
func floats(_ v: SIMD8<Int32>) -> SIMD8<Float> {
    #if arch(x86_64)
    let converted = Builtin.sitofp_Vec8xInt32_Vec8xFPIEEE32(unsafeBitCast(v, to: Builtin.Vec8xInt32.self))
    return unsafeBitCast(converted, to: SIMD8<Float>.self)
    #else
    return SIMD8<Float>(v)
    #endif
}

// MARK: - The definitions (used where the instructions are absent, and by the tests)

/// `vpmaddubsw` in plain Swift.
func referenceMultiplyAddPairs(_ a: SIMD32<UInt8>, _ b: SIMD32<Int8>) -> SIMD16<Int16> {
    var sums = SIMD16<Int16>()
    for i in 0..<16 {
        let pair = Int32(a[2 * i]) * Int32(b[2 * i]) + Int32(a[2 * i + 1]) * Int32(b[2 * i + 1])
        sums[i] = Int16(clamping: pair)
    }
    return sums
}

/// `vpmaddwd` in plain Swift.
func referenceMultiplyAddPairs(_ a: SIMD16<Int16>, _ b: SIMD16<Int16>) -> SIMD8<Int32> {
    var sums = SIMD8<Int32>()
    for i in 0..<8 {
        sums[i] = Int32(a[2 * i]) &* Int32(b[2 * i]) &+ Int32(a[2 * i + 1]) &* Int32(b[2 * i + 1])
    }
    return sums
}

/// `halfSums` in plain Swift.
func referenceHalfSums(_ v: SIMD8<Int32>) -> SIMD8<Int32> {
    var out = SIMD8<Int32>()
    for i in 0..<8 { out[i] = v[i / 4 * 4] &+ v[i / 4 * 4 + 1] &+ v[i / 4 * 4 + 2] &+ v[i / 4 * 4 + 3] }
    return out
}

/// `vpsignb` in plain Swift.
func referenceCopySign(of a: SIMD32<Int8>, to b: SIMD32<Int8>) -> SIMD32<Int8> {
    var out = SIMD32<Int8>()
    for i in 0..<32 { out[i] = a[i] > 0 ? b[i] : a[i] < 0 ? 0 &- b[i] : 0 }
    return out
}

/// `vpshufb` in plain Swift (indices below 16; the instruction's zeroing by the top bit is not used).
func referenceShuffleBytes(_ table: SIMD32<UInt8>, _ indices: SIMD32<UInt8>) -> SIMD32<UInt8> {
    var out = SIMD32<UInt8>()
    for i in 0..<32 { out[i] = table[i / 16 * 16 + Int(indices[i] & 15)] }
    return out
}
