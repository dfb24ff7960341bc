import GGUF
#if arch(x86_64)
import Builtin
#endif

// The `simd-q8` variant: activations rounded to 8 bits, then integer dot products, as
// llama.cpp does (its Q8_0/Q8_1/Q8_K activation blocks; here blocks of 16). Each 32-weight part
// of a block is turned into 32 byte codes, multiplied with 32 activation codes by `vpmaddubsw`
// and `vpmaddwd` (`IntegerProducts.swift`): 32 products in two instructions, where the float
// path needs a conversion and a multiply-add per 8 weights. The price is the rounding of x to
// 8 bits: results differ from the float path by about 1e-3 relative (measured in the benchmark).

/// x rounded to int8 in blocks of 16 with one float scale each, plus the sum of each block's
/// rounded values, needed for weights with an offset (Q4_1, K-quants) or a centre (Q4_0: q − 8).
/// (The rounded sum, not the exact one: then the rounding error is Σ weight·(x̂ − x), as for
/// the product itself; with the exact sum it would grow with the uncentred codes, measured 2×.)
/// llama.cpp rounds in blocks of 32 (Q8_0/Q8_1) or 256 (Q8_K); blocks of 16 cost one more scale
/// per 32 weights and keep the error at or below llama.cpp's for every type (measured on the
/// tiny models' logits).
///
/// The scales are stored spread out as the integer dot products use them: for each 32 codes,
/// 8 floats, the first half's scale 4 times then the second's (`spreadScales`).
///
/// With each group of 4 codes goes −128 times their sum (`centringQuads`): the products with
/// signed weights (Q8_0) start from it, and then take the weights' codes as unsigned bytes
/// (`pairProducts`).
/// x: [n]  -> codes: [n]  spreadScales: [n/32, 8]  centringQuads: [n/4]  sums: [n/16]
struct Int8Activations {
    let codes: UnsafeMutablePointer<Int8>
    let spreadScales: UnsafeMutablePointer<Float>
    let centringQuads: UnsafeMutablePointer<Int32>
    let sums: UnsafeMutablePointer<Float>

    /// Bytes of scratch for `n` activations (n a multiple of 32), a multiple of 64.
    static func scratchBytes(_ n: Int) -> Int { (n + n / 4 * 4 + n / 4 * 4 + n / 16 * 4 + 63) / 64 * 64 }

    /// Rounds x[0..<n] into `scratch` (at least `scratchBytes(n)` bytes, 4-aligned), as ggml's
    /// AVX2 `quantize_row_q8_0` does but per 16: d = max|x| / 127, q = round(x / d), ties to even.
    /// The codes come first and the spread scales next, so that with a 64-byte aligned scratch
    /// (and n a multiple of 64) their 64-byte loads never span two cache lines.
    init(_ x: UnsafePointer<Float>, _ n: Int, scratch: UnsafeMutableRawPointer) {
        codes = scratch.bindMemory(to: Int8.self, capacity: n)
        spreadScales = (scratch + n).bindMemory(to: Float.self, capacity: n / 4)
        centringQuads = (scratch + n + n / 4 * 4).bindMemory(to: Int32.self, capacity: n / 4)
        sums = (scratch + n + n / 4 * 8).bindMemory(to: Float.self, capacity: n / 16)
        for b in 0..<n / 16 {
            let xb = load16(x, b &* 16)
            let d = largestMagnitude(xb) / 127
            let inverse: Float = d == 0 ? 0 : 1 / d
            // Rounded to the nearest integer (ties to even) by adding 1.5·2^23: the sum's low
            // mantissa bits are then the integer (|x/d| ≤ 127), read back by removing the bits
            // of 1.5·2^23. (Swift's generic float-to-integer SIMD conversion is a call per lane.)
            let shifted = SIMD16<Float>(repeating: 0x1.8p23).addingProduct(xb, SIMD16(repeating: inverse))
            let q = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000
            UnsafeMutableRawPointer(codes + b &* 16).storeBytes(of: SIMD16<Int8>(truncatingIfNeeded: q),
                                                                as: SIMD16<Int8>.self)
            UnsafeMutableRawPointer(spreadScales + 4 &* b).storeBytes(of: SIMD4(repeating: d), as: SIMD4<Float>.self)
            let pairs = q.evenHalf &+ q.oddHalf, quads = pairs.evenHalf &+ pairs.oddHalf
            UnsafeMutableRawPointer(centringQuads + 4 &* b).storeBytes(of: quads &* -128, as: SIMD4<Int32>.self)
            let q8 = q.lowHalf &+ q.highHalf, q4 = q8.lowHalf &+ q8.highHalf
            sums[b] = d * Float((q4.lowHalf &+ q4.highHalf).wrappedSum())
        }
    }
}

/// max |v[i]|, halving the vector each step. (`SIMD.max()` and `pointwiseMax` compile to calls
/// and scalar loops here: measured 4× the time of the whole rounding.)
@inline(__always)
func largestMagnitude(_ v: SIMD16<Float>) -> Float {
    @inline(__always) func larger(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .> a) }
    let magnitudes = unsafeBitCast(unsafeBitCast(v, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: SIMD16<Float>.self)
    let eight = larger(magnitudes.lowHalf, magnitudes.highHalf)
    let four = eight.lowHalf.replacing(with: eight.highHalf, where: eight.highHalf .> eight.lowHalf)
    return max(max(four[0], four[1]), max(four[2], four[3]))
}

/// A block format whose 32-weight parts are small integer codes with an affine map per half-part
/// of 16: weight = scale[h]·code + offset[h]. Every computable quantized type has this shape.
/// Codes are unsigned (below 64) so that they can be the unsigned operand of `vpmaddubsw`; a
/// format centred on zero (Q4_0: q − 8) moves its centre into the offset (−8·d). Q8_0's codes
/// are signed bytes.
protocol IntegerPartDecoder: BlockDecoder {
    /// True when the codes are signed bytes (reinterpret them as `SIMD32<Int8>`).
    static var signedCodes: Bool { get }
    /// The 32 codes of `part`, and the scale and offset of each half (lanes 0…15, 16…31).
    static func codes(_ block: UnsafeRawPointer, _ part: Int)
        -> (codes: SIMD32<UInt8>, scale: SIMD2<Float>, offset: SIMD2<Float>)
    #if AVX512
    /// Parts p and p + 1 (p even) of `row`, the same as `codes` of each (below).
    static func codesOfPair(_ row: UnsafeRawPointer, _ p: Int) -> PartPairCodes
    #endif
}

extension IntegerPartDecoder {
    static var signedCodes: Bool { false }
}

#if AVX512
/// Parts p and p + 1 of a row, as the 64-byte products take them: both parts' codes, and the
/// scales and offsets of their four half-parts in order.
typealias PartPairCodes = (codes: (SIMD32<UInt8>, SIMD32<UInt8>), scales: SIMD4<Float>, offsets: SIMD4<Float>)

extension IntegerPartDecoder {
    /// Parts p and p + 1 (p even) of `row`: `codes` of each. The nibble formats decode both
    /// parts' nibbles in one register instead (`nibbleCodes(_:_:)`), the same codes.
    @inline(__always)
    static func codesOfPair(_ row: UnsafeRawPointer, _ p: Int) -> PartPairCodes {
        let (c0, s0, o0) = codes(row + (p / parts) &* bytes, p % parts)
        let (c1, s1, o1) = codes(row + ((p &+ 1) / parts) &* bytes, (p &+ 1) % parts)
        return ((c0, c1), SIMD4(lowHalf: s0, highHalf: s1), SIMD4(lowHalf: o0, highHalf: o1))
    }
}

/// (a, a, b, b): one scale or offset per block, for its two half-parts.
@inline(__always)
func perHalf(_ a: Float, _ b: Float) -> SIMD4<Float> { SIMD4(a, a, b, b) }
#endif

/// One row against int8 activations, in the order every `simd-q8` path follows (one token,
/// several, or the integer GEMM of a prompt), so that they all give the same bits:
///
///     S_h = Σ_{k in h} code_k·q_k                     exact, in Int32 (h: a half-part, 16 columns)
///     c_j = Σ_{h ≡ j mod 4} fma(S_h, scale_h·dx_h)    in order of h, j = 0…3
///     o_j = Σ_{h ≡ j mod 4} fma(offset_h, Σ_{k in h} x̂_k)
///     dot = ((c_0 + o_0) + (c_1 + o_1)) + ((c_2 + o_2) + (c_3 + o_3))
///
/// The integer sum over 16 columns is what lets a GEMM keep 16 tokens' sums in integer lanes
/// and scale them once per half-part; the four chains hide the multiply-add's latency.
/// With AVX-512, `pairs` (the default) takes two parts per 64-byte register; false keeps every
/// part on the 32-byte path, so that a test can check the two give the same bits.
@inline(__always)
func integerDot<D: IntegerPartDecoder>(_: D.Type, _ row: UnsafeRawPointer, _ x: Int8Activations, blocks: Int,
                                       pairs: Bool = true) -> Float {
    // Parts alternate between `even` (chains 0 and 1) and `odd` (chains 2 and 3); in each,
    // lanes 0…3 hold the first half's chain (4 copies) and lanes 4…7 the second's.
    var even = IntegerChains(), odd = IntegerChains()
    let parts = blocks &* D.parts
    var p = 0
    #if AVX512
    // Two parts per step in 64-byte registers: the lanes of `even` then `odd`, each lane's
    // arithmetic the one below (the same bits).
    var both = PairedChains()
    while pairs && p &+ 1 < parts {
        both.add(D.self, partPair(D.self, row, p), p, x)
        p &+= 2
    }
    if pairs { (even, odd) = both.split }
    #endif
    while p < parts {
        if p & 1 == 0 { even.add(D.self, row, p, x) } else { odd.add(D.self, row, p, x) }
        p &+= 1
    }
    return IntegerChains.dot(even, odd)
}

/// Two of the four chains of an integer dot (the parts of one parity): their products in
/// lanes 0…3 (first half-part) and 4…7 (second), and their offset terms.
struct IntegerChains {
    var products = SIMD8<Float>()
    var offsets = SIMD2<Float>()

    /// Adds part p of `row` times x.
    @inline(__always)
    mutating func add<D: IntegerPartDecoder>(_: D.Type, _ row: UnsafeRawPointer, _ p: Int, _ x: Int8Activations) {
        add(D.self, D.codes(row + (p / D.parts) &* D.bytes, p % D.parts), p, x)
    }

    /// Adds part p, decoded (`part`), times x.
    @inline(__always)
    mutating func add<D: IntegerPartDecoder>(_: D.Type, _ part: (codes: SIMD32<UInt8>, scale: SIMD2<Float>, offset: SIMD2<Float>),
                                             _ p: Int, _ x: Int8Activations) {
        let (codes, scale, offset) = part
        let start = p &* 32
        let xq = UnsafeRawPointer(x.codes).loadUnaligned(fromByteOffset: start, as: SIMD32<Int8>.self)
        let quads = D.signedCodes ? signedDotByQuads(unsafeBitCast(codes, to: SIMD32<Int8>.self), xq) : dotByQuads(codes, xq)
        let s = SIMD8(lowHalf: SIMD4(repeating: scale[0]), highHalf: SIMD4(repeating: scale[1]))
            * UnsafeRawPointer(x.spreadScales).loadUnaligned(fromByteOffset: start, as: SIMD8<Float>.self)
        products = products.addingProduct(floats(halfSums(quads)), s)
        offsets = offsets.addingProduct(offset, UnsafeRawPointer(x.sums).loadUnaligned(fromByteOffset: start &>> 2, as: SIMD2<Float>.self))
    }

    /// The dot from the even parts' chains and the odd parts'.
    @inline(__always)
    static func dot(_ even: IntegerChains, _ odd: IntegerChains) -> Float {
        let t = SIMD4(even.products[0], even.products[4], odd.products[0], odd.products[4])
            + SIMD4(lowHalf: even.offsets, highHalf: odd.offsets)
        return (t[0] + t[1]) + (t[2] + t[3])
    }
}

#if AVX512
/// Parts p and p + 1 of a row (p even) for the 64-byte products: their codes, the four
/// half-part scales spread as `spreadScales` are (each 4 times), and the four offsets.
@inline(__always)
func partPair<D: IntegerPartDecoder>(_: D.Type, _ row: UnsafeRawPointer, _ p: Int)
    -> (codes: (SIMD32<UInt8>, SIMD32<UInt8>), scales: SIMD16<Float>, offsets: SIMD4<Float>) {
    let pair = D.codesOfPair(row, p), s = pair.scales
    let scales = SIMD16(lowHalf: SIMD8(lowHalf: SIMD4(repeating: s[0]), highHalf: SIMD4(repeating: s[1])),
                        highHalf: SIMD8(lowHalf: SIMD4(repeating: s[2]), highHalf: SIMD4(repeating: s[3])))
    return (pair.codes, scales, pair.offsets)
}

/// The four chains of an integer dot in 64-byte registers: lanes 0…7 are the even parts'
/// `IntegerChains`, 8…15 the odd parts'.
struct PairedChains {
    var products = SIMD16<Float>()
    var offsets = SIMD4<Float>()

    /// Adds parts p and p + 1 (decoded once in `pair`) times one token's rounding.
    @inline(__always)
    mutating func add<D: IntegerPartDecoder>(_: D.Type, _ pair: (codes: (SIMD32<UInt8>, SIMD32<UInt8>), scales: SIMD16<Float>, offsets: SIMD4<Float>),
                                             _ p: Int, _ x: Int8Activations) {
        let quads = pairProducts(D.self, pair.codes, x, p)
        let s = pair.scales * UnsafeRawPointer(x.spreadScales).loadUnaligned(fromByteOffset: p &* 32, as: SIMD16<Float>.self)
        products = products.addingProduct(floats(halfSums(quads)), s)
        offsets = offsets.addingProduct(pair.offsets, UnsafeRawPointer(x.sums).loadUnaligned(fromByteOffset: p &* 8, as: SIMD4<Float>.self))
    }

    /// The even parts' chains and the odd parts'.
    @inline(__always)
    var split: (IntegerChains, IntegerChains) {
        (IntegerChains(products: products.lowHalf, offsets: offsets.lowHalf),
         IntegerChains(products: products.highHalf, offsets: offsets.highHalf))
    }
}

/// A pair's codes times x's codes of parts p and p + 1: `dotByQuads` of each part, side by side.
@inline(__always)
func pairProducts<D: IntegerPartDecoder>(_: D.Type, _ codes: (SIMD32<UInt8>, SIMD32<UInt8>),
                                         _ x: Int8Activations, _ p: Int) -> SIMD16<Int32> {
    let xq = UnsafeRawPointer(x.codes) + p &* 32
    #if AVX512VNNI
    if D.signedCodes {
        // Σ w·x = Σ (w + 128)·x − 128·Σ x, each term exact in Int32: the codes with their top bit
        // flipped are w + 128 as unsigned bytes, and the sum starts from x's centring quads.
        // One `vpxord` instead of `signedDotByQuads`' four `vpsignb` and an insert.
        let unsigned = unsafeBitCast(SIMD64(lowHalf: codes.0, highHalf: codes.1), to: SIMD16<Int32>.self) ^ Int32(bitPattern: everyByte(0x80))
        let centring = UnsafeRawPointer(x.centringQuads).loadUnaligned(fromByteOffset: p &* 32, as: SIMD16<Int32>.self)
        return accumulatingDotByQuads(centring, unsigned, xq.loadUnaligned(as: SIMD16<Int32>.self))
    }
    #else
    if D.signedCodes {
        return signedDotByQuads(unsafeBitCast(codes.0, to: SIMD32<Int8>.self), unsafeBitCast(codes.1, to: SIMD32<Int8>.self),
                                xq.loadUnaligned(as: SIMD32<Int8>.self), xq.loadUnaligned(fromByteOffset: 32, as: SIMD32<Int8>.self))
    }
    #endif
    return dotByQuads(SIMD64(lowHalf: codes.0, highHalf: codes.1), xq.loadUnaligned(as: SIMD64<Int8>.self))
}
#endif

/// `integerDot` of one row with N tokens at once: each part's codes and scales are decoded once
/// and used N times. Every token's sums are exactly `integerDot`'s, in the same order (so the
/// same bits); only the decoding is shared. The parts go in pairs, the first into the `even`
/// chains and the second into the `odd` ones, so that which chains a part feeds is known when
/// the code is compiled and all of them stay in registers (N ≤ 4; chosen at run time, they were
/// kept in memory, stored and reloaded at every part: seen with `perf annotate`).
/// row: [columns] as blocks  xs: N tokens' roundings  -> [N]
@inline(__always)
func integerDots<let N: Int, D: IntegerPartDecoder>(_: D.Type, _ row: UnsafeRawPointer,
                                                      _ xs: UnsafePointer<Int8Activations>, blocks: Int) -> InlineArray<N, Float> {
    var even = InlineArray<N, IntegerChains>(repeating: IntegerChains()), odd = even
    let parts = blocks &* D.parts
    var p = 0
    #if AVX512
    var both = InlineArray<N, PairedChains>(repeating: PairedChains())
    while p &+ 1 < parts {
        let pair = partPair(D.self, row, p)
        for t in 0..<N { both[t].add(D.self, pair, p, xs[t]) }
        p &+= 2
    }
    for t in 0..<N { (even[t], odd[t]) = both[t].split }
    #else
    while p &+ 1 < parts {
        let first = D.codes(row + (p / D.parts) &* D.bytes, p % D.parts)
        for t in 0..<N { even[t].add(D.self, first, p, xs[t]) }
        let second = D.codes(row + ((p &+ 1) / D.parts) &* D.bytes, (p &+ 1) % D.parts)
        for t in 0..<N { odd[t].add(D.self, second, p &+ 1, xs[t]) }
        p &+= 2
    }
    #endif
    if p < parts {
        let last = D.codes(row + (p / D.parts) &* D.bytes, p % D.parts)
        for t in 0..<N { even[t].add(D.self, last, p, xs[t]) }
    }
    var dots = InlineArray<N, Float>(repeating: 0)
    for t in 0..<N { dots[t] = IntegerChains.dot(even[t], odd[t]) }
    return dots
}

/// w.row(r)·x_t for r in `rows` and every token t with int8 activations; float types use the
/// float path. Rows outer, tokens inner: a row is read from memory once and stays in L1 while
/// it meets each token (a Q4_1 row of 576 weights is 360 bytes), so k tokens cost one pass over
/// the weights instead of k, and its codes are decoded once per group of tokens: 5 to 8 tokens
/// two rows at a time with VNNI (`integerDotsOfEight`, groups packed by the caller in
/// `eights`), then 4 (`integerDotsOfFour` with AVX-512, else `integerDots`), 2 and 1.
/// Each (row, token) dot is `integerDot`'s arithmetic on that token's rounding, exactly as with
/// one token: a result does not depend on how many tokens share the call.
/// w: [rows, columns]  x: [k, columns] (and each row's int8 rounding xq[t])  -> y: [k, w.rows]
func integerDotRows(_ w: WeightMatrix, _ rows: Range<Int>, _ x: UnsafePointer<Float>,
                    _ xq: UnsafeBufferPointer<Int8Activations>, eights: UnsafeBufferPointer<EightTokens>,
                    _ out: UnsafeMutablePointer<Float>) {
    let blocks = w.columns / w.type.blockSize
    @inline(__always) func each<D: IntegerPartDecoder>(_ d: D.Type) {
        // Groups of five to eight tokens: two rows by eight tokens in each register.
        var first = 0
        #if AVX512VNNI
        for eight in eights {
            integerDotRowsOfEight(d, w, rows, eight, count: eight.count, out + first * w.rows)
            first += eight.count
        }
        #endif
        #if AVX512
        // Then each group of four tokens side by side (`integerDotsOfFour`), interleaved once
        // for all the rows (a group at a time: the rows are read again from cache).
        if xq.count - first >= 4 {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: FourTokens.scratchFloats(w.columns)) { scratch in
                while xq.count - first >= 4 {
                    let four = FourTokens(xq.baseAddress! + first, w.columns, scratch: scratch.baseAddress!)
                    for r in rows {
                        w.prefetchRowAhead(of: r)
                        let dots = integerDotsOfFour(d, w.row(r), four, blocks: blocks)
                        for j in 0..<4 { out[(first &+ j) &* w.rows &+ r] = dots[j] }
                    }
                    first += 4
                }
            }
        }
        #endif
        // The tokens left: by fours (without AVX-512), twos and one.
        let k = xq.count - first, xs = xq.baseAddress! + first, y = out + first * w.rows
        for r in rows {
            let row = w.row(r)
            // One token's rows are not prefetched: asked for ahead, they measured slower (tg64
            // on one and two threads, docs/kernels.md).
            if k > 1 { w.prefetchRowAhead(of: r) }
            var t = 0
            while k - t >= 4 {
                let dots: InlineArray<4, Float> = integerDots(d, row, xs + t, blocks: blocks)
                for j in 0..<4 { y[(t &+ j) &* w.rows &+ r] = dots[j] }
                t &+= 4
            }
            if k - t >= 2 {
                let dots: InlineArray<2, Float> = integerDots(d, row, xs + t, blocks: blocks)
                for j in 0..<2 { y[(t &+ j) &* w.rows &+ r] = dots[j] }
                t &+= 2
            }
            if t < k { y[t &* w.rows &+ r] = integerDot(d, row, xs[t], blocks: blocks) }
        }
    }
    switch w.type {
    case .q4_0: each(Q4_0Decoder.self)
    case .q4_1: each(Q4_1Decoder.self)
    case .q5_0: each(Q5_0Decoder.self)
    case .q5_1: each(Q5_1Decoder.self)
    case .q8_0: each(Q8_0Decoder.self)
    case .q2_K: each(Q2_KDecoder.self)
    case .q3_K: each(Q3_KDecoder.self)
    case .q4_K: each(Q4_KDecoder.self)
    case .q5_K: each(Q5_KDecoder.self)
    case .q6_K: each(Q6_KDecoder.self)
    default:                                                            // float types
        for t in 0..<xq.count { dotRows(w, rows, RowInput(x: x + t * w.columns, nibbleOrdered: nil), out + t * w.rows) }
    }
}

// MARK: - Integer codes of each format (same layouts as the float decoders)

/// The 16 nibble bytes at `p` as 32 codes: low nibbles (weights 0…15), then high (16…31).
@inline(__always)
func nibbleCodes(_ p: UnsafeRawPointer) -> SIMD32<UInt8> {
    let q = p.loadUnaligned(as: SIMD16<UInt8>.self)
    return SIMD32(lowHalf: q & 0xF, highHalf: q &>> 4)
}

#if AVX512
/// The nibbles of two blocks (16 bytes at `first`, 16 at `second`) as `nibbleCodes` of each:
/// the 32 bytes masked and shifted in one register, then their 16-byte quarters put in order
/// (first's low nibbles, first's high, second's low, second's high) by one permute.
@inline(__always)
func nibbleCodes(_ first: UnsafeRawPointer, _ second: UnsafeRawPointer) -> (SIMD32<UInt8>, SIMD32<UInt8>) {
    // (Whole 32-bit lanes throughout: SIMD64<UInt8>'s halves and concatenations go lane by lane.)
    let bytes = PackedBytes(lowHalf: first.loadUnaligned(as: SIMD4<UInt32>.self), highHalf: second.loadUnaligned(as: SIMD4<UInt32>.self))
    let low = SIMD16(lowHalf: bytes & everyByte(0xF), highHalf: .zero)
    let high = SIMD16(lowHalf: bytes &>> 4 & everyByte(0xF), highHalf: .zero)
    // In 64-bit lanes, 0…7 are `low`'s and 8…15 `high`'s.
    let codes = unsafeBitCast(Builtin.int_x86_avx512_vpermi2var_q_512(unsafeBitCast(low, to: Builtin.Vec8xInt64.self),
                                                                     unsafeBitCast(SIMD8<Int64>(0, 1, 8, 9, 2, 3, 10, 11), to: Builtin.Vec8xInt64.self),
                                                                     unsafeBitCast(high, to: Builtin.Vec8xInt64.self)),
                              to: SIMD16<UInt32>.self)
    return (codeBytes(codes.lowHalf), codeBytes(codes.highHalf))
}
#endif

// The codes are computed on 32 bytes seen as 8 lanes of 32 bits (`PackedBytes`): shifts, `and`
// and `or` with a mask repeated in every byte act on each byte at once, one instruction each.
// (Swift's operations on `SIMD32<UInt8>` with a scalar operand, or byte shifts by an amount
// known only at run time, become loops over the 32 lanes: measured 100× slower.)

/// 32 bytes as 8 lanes of 32 bits.
typealias PackedBytes = SIMD8<UInt32>

/// The 32 bytes at `p + offset`.
@inline(__always)
func packedBytes(_ p: UnsafeRawPointer, _ offset: Int) -> PackedBytes {
    p.loadUnaligned(fromByteOffset: offset, as: PackedBytes.self)
}

/// `byte` repeated in the 4 bytes of a lane.
@inline(__always)
func everyByte(_ byte: UInt32) -> UInt32 { byte &* 0x0101_0101 }

/// Each byte's bits `shift ..< shift + width`, as a number: (byte >> shift) & (2^width − 1).
@inline(__always)
func bytesField(_ v: PackedBytes, shift: Int, width: Int) -> PackedBytes {
    v &>> UInt32(shift) & everyByte(1 &<< UInt32(width) &- 1)
}

/// The 32 bytes as codes.
@inline(__always)
func codeBytes(_ v: PackedBytes) -> SIMD32<UInt8> { unsafeBitCast(v, to: SIMD32<UInt8>.self) }

/// 16 in byte j where bit j of `bits` is set, else 0: the fifth bits of Q5_0/Q5_1.
@inline(__always)
func fifthBits(_ bits: UInt32) -> PackedBytes {
    // Byte j gets byte j/8 of `bits` (one byte shuffle) and keeps its own bit, j mod 8: 0 or a
    // power of two up to 128. Adding 127 to a byte then sets its top bit exactly when that bit
    // was set (and never carries into the next byte). The idea of ggml's `bytes_from_bits_32`.
    let byteOfBit = unsafeBitCast(SIMD4<UInt64>(0, 0x0101_0101_0101_0101, 0x0202_0202_0202_0202, 0x0303_0303_0303_0303),
                                  to: SIMD32<UInt8>.self)
    let spread = shuffleBytes(codeBytes(PackedBytes(repeating: bits)), byteOfBit)
    let own = unsafeBitCast(spread, to: PackedBytes.self) & PackedBytes(0x0804_0201, 0x8040_2010, 0x0804_0201, 0x8040_2010,
                                                                         0x0804_0201, 0x8040_2010, 0x0804_0201, 0x8040_2010)
    return ((own &+ everyByte(0x7F)) & everyByte(0x80)) &>> 3
}

extension Q4_0Decoder: IntegerPartDecoder {
    @inline(__always)
    static func codes(_ block: UnsafeRawPointer, _ part: Int) -> (codes: SIMD32<UInt8>, scale: SIMD2<Float>, offset: SIMD2<Float>) {
        let d = loadHalf(block, 0)
        return (nibbleCodes(block + 2), SIMD2(repeating: d), SIMD2(repeating: -8 * d))
    }
}

extension Q4_1Decoder: IntegerPartDecoder {
    @inline(__always)
    static func codes(_ block: UnsafeRawPointer, _ part: Int) -> (codes: SIMD32<UInt8>, scale: SIMD2<Float>, offset: SIMD2<Float>) {
        (nibbleCodes(block + 4), SIMD2(repeating: loadHalf(block, 0)), SIMD2(repeating: loadHalf(block, 2)))
    }
}

extension Q5_0Decoder: IntegerPartDecoder {
    @inline(__always)
    static func codes(_ block: UnsafeRawPointer, _ part: Int) -> (codes: SIMD32<UInt8>, scale: SIMD2<Float>, offset: SIMD2<Float>) {
        let d = loadHalf(block, 0)
        let nibbles = unsafeBitCast(nibbleCodes(block + 6), to: PackedBytes.self)
        let codes = codeBytes(nibbles | fifthBits(block.loadUnaligned(fromByteOffset: 2, as: UInt32.self)))
        return (codes, SIMD2(repeating: d), SIMD2(repeating: -16 * d))
    }
}

#if AVX512
extension Q4_0Decoder {
    @inline(__always)
    static func codesOfPair(_ row: UnsafeRawPointer, _ p: Int) -> PartPairCodes {
        let first = row + p &* bytes, second = first + bytes
        let d = perHalf(loadHalf(first, 0), loadHalf(second, 0))
        return (nibbleCodes(first + 2, second + 2), d, -8 * d)
    }
}

extension Q4_1Decoder {
    @inline(__always)
    static func codesOfPair(_ row: UnsafeRawPointer, _ p: Int) -> PartPairCodes {
        let first = row + p &* bytes, second = first + bytes
        return (nibbleCodes(first + 4, second + 4), perHalf(loadHalf(first, 0), loadHalf(second, 0)),
                perHalf(loadHalf(first, 2), loadHalf(second, 2)))
    }
}

extension Q5_0Decoder {
    @inline(__always)
    static func codesOfPair(_ row: UnsafeRawPointer, _ p: Int) -> PartPairCodes {
        let first = row + p &* bytes, second = first + bytes
        let d = perHalf(loadHalf(first, 0), loadHalf(second, 0))
        return (fiveBitCodes(first, second, bits: 2, nibbles: 6), d, -16 * d)
    }
}

extension Q5_1Decoder {
    @inline(__always)
    static func codesOfPair(_ row: UnsafeRawPointer, _ p: Int) -> PartPairCodes {
        let first = row + p &* bytes, second = first + bytes
        return (fiveBitCodes(first, second, bits: 4, nibbles: 8), perHalf(loadHalf(first, 0), loadHalf(second, 0)),
                perHalf(loadHalf(first, 2), loadHalf(second, 2)))
    }
}

/// Two Q5 blocks' codes: the nibbles of both (`nibbleCodes(_:_:)`), each with the fifth bits
/// of its own block (the 4 bytes at offset `bits`; the nibbles at `nibbles`).
@inline(__always)
func fiveBitCodes(_ first: UnsafeRawPointer, _ second: UnsafeRawPointer, bits: Int, nibbles: Int) -> (SIMD32<UInt8>, SIMD32<UInt8>) {
    let (n0, n1) = nibbleCodes(first + nibbles, second + nibbles)
    return (codeBytes(unsafeBitCast(n0, to: PackedBytes.self) | fifthBits(first.loadUnaligned(fromByteOffset: bits, as: UInt32.self))),
            codeBytes(unsafeBitCast(n1, to: PackedBytes.self) | fifthBits(second.loadUnaligned(fromByteOffset: bits, as: UInt32.self))))
}
#endif

extension Q5_1Decoder: IntegerPartDecoder {
    @inline(__always)
    static func codes(_ block: UnsafeRawPointer, _ part: Int) -> (codes: SIMD32<UInt8>, scale: SIMD2<Float>, offset: SIMD2<Float>) {
        let nibbles = unsafeBitCast(nibbleCodes(block + 8), to: PackedBytes.self)
        let codes = codeBytes(nibbles | fifthBits(block.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        return (codes, SIMD2(repeating: loadHalf(block, 0)), SIMD2(repeating: loadHalf(block, 2)))
    }
}

extension Q8_0Decoder: IntegerPartDecoder {
    static var signedCodes: Bool { true }
    @inline(__always)
    static func codes(_ block: UnsafeRawPointer, _ part: Int) -> (codes: SIMD32<UInt8>, scale: SIMD2<Float>, offset: SIMD2<Float>) {
        (block.loadUnaligned(fromByteOffset: 2, as: SIMD32<UInt8>.self), SIMD2(repeating: loadHalf(block, 0)), .zero)
    }
}

extension Q2_KDecoder: IntegerPartDecoder {
    @inline(__always)
    static func codes(_ block: UnsafeRawPointer, _ part: Int) -> (codes: SIMD32<UInt8>, scale: SIMD2<Float>, offset: SIMD2<Float>) {
        let scales = block.assumingMemoryBound(to: UInt8.self)
        let d = loadHalf(block, 80), dmin = loadHalf(block, 82)
        let q = packedBytes(block, 16 &+ 32 &* (part >> 2))
        let codes = codeBytes(bytesField(q, shift: 2 &* (part & 3), width: 2))
        let s0 = scales[2 &* part], s1 = scales[2 &* part &+ 1]
        return (codes, SIMD2(d * Float(s0 & 0xF), d * Float(s1 & 0xF)),
                SIMD2(-(dmin * Float(s0 >> 4)), -(dmin * Float(s1 >> 4))))
    }
}

extension Q3_KDecoder: IntegerPartDecoder {
    /// Codes 0…7 = two low bits plus 4 when the high bit is set; weight = d·scale·(code − 4).
    @inline(__always)
    static func codes(_ block: UnsafeRawPointer, _ part: Int) -> (codes: SIMD32<UInt8>, scale: SIMD2<Float>, offset: SIMD2<Float>) {
        let scales = (block + 96).assumingMemoryBound(to: UInt8.self)
        let d = loadHalf(block, 108)
        let hmask = packedBytes(block, 0), q = packedBytes(block, 32 &+ 32 &* (part >> 2))
        let codes = codeBytes(bytesField(q, shift: 2 &* (part & 3), width: 2) | bytesField(hmask, shift: part, width: 1) &<< 2)
        let s = SIMD2(d * Float(scale(scales, 2 &* part)), d * Float(scale(scales, 2 &* part &+ 1)))
        return (codes, s, -4 * s)
    }
}

extension Q4_KDecoder: IntegerPartDecoder {
    @inline(__always)
    static func codes(_ block: UnsafeRawPointer, _ part: Int) -> (codes: SIMD32<UInt8>, scale: SIMD2<Float>, offset: SIMD2<Float>) {
        let d = loadHalf(block, 0), dmin = loadHalf(block, 2)
        let (scale, min) = scaleMinK4(part, (block + 4).assumingMemoryBound(to: UInt8.self))
        let q = packedBytes(block, 16 &+ 32 &* (part >> 1))
        return (codeBytes(bytesField(q, shift: 4 &* (part & 1), width: 4)), SIMD2(repeating: d * scale), SIMD2(repeating: -(dmin * min)))
    }
}

extension Q5_KDecoder: IntegerPartDecoder {
    @inline(__always)
    static func codes(_ block: UnsafeRawPointer, _ part: Int) -> (codes: SIMD32<UInt8>, scale: SIMD2<Float>, offset: SIMD2<Float>) {
        let d = loadHalf(block, 0), dmin = loadHalf(block, 2)
        let (scale, min) = scaleMinK4(part, (block + 4).assumingMemoryBound(to: UInt8.self))
        let qh = packedBytes(block, 16), q = packedBytes(block, 48 &+ 32 &* (part >> 1))
        let codes = codeBytes(bytesField(q, shift: 4 &* (part & 1), width: 4) | bytesField(qh, shift: part, width: 1) &<< 4)
        return (codes, SIMD2(repeating: d * scale), SIMD2(repeating: -(dmin * min)))
    }
}

extension Q6_KDecoder: IntegerPartDecoder {
    /// Codes 0…63; weight = d·scale·(code − 32).
    @inline(__always)
    static func codes(_ block: UnsafeRawPointer, _ part: Int) -> (codes: SIMD32<UInt8>, scale: SIMD2<Float>, offset: SIMD2<Float>) {
        let d = loadHalf(block, 208)
        let half = part >> 2, k = part & 3
        let sc = (block + (192 &+ 8 &* half &+ 2 &* k)).assumingMemoryBound(to: Int8.self)
        let ql = packedBytes(block, 64 &* half &+ 32 &* (k & 1)), qh = packedBytes(block, 128 &+ 32 &* half)
        let codes = codeBytes(bytesField(ql, shift: 4 &* (k >> 1), width: 4) | bytesField(qh, shift: 2 &* k, width: 2) &<< 4)
        let scale = SIMD2(d * Float(sc[0]), d * Float(sc[1]))
        return (codes, scale, -32 * scale)
    }
}
