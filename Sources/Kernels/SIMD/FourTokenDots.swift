// The server's step with four tokens (and what is left of eight): a row against four tokens at
// once, on AVX-512, with `integerDot`'s arithmetic to the bit. The four tokens' chains sit side
// by side in one register (lane 4k + t: chain k of token t), so that one conversion, one
// scaling and one multiply-add serve four tokens where `integerDots` spends one each per token.

#if AVX512
import Builtin

/// Four tokens' activation scales and sums of rounded values, side by side per half-part, as
/// `integerDotsOfFour` reads them: entry 4h + t is token t's at half-part h.
/// tokens: 4 roundings  scales, sums: [n/16, 4]
struct FourTokens {
    let tokens: UnsafePointer<Int8Activations>
    let scales: UnsafeMutablePointer<Float>
    let sums: UnsafeMutablePointer<Float>

    /// Floats of scratch for tokens of `n` activations.
    static func scratchFloats(_ n: Int) -> Int { n / 16 * 8 }

    /// Interleaves tokens[0...3] into `scratch` (`scratchFloats(n)` floats).
    init(_ tokens: UnsafePointer<Int8Activations>, _ n: Int, scratch: UnsafeMutablePointer<Float>) {
        self.tokens = tokens
        scales = scratch
        sums = scratch + n / 16 * 4
        for h in 0..<n / 16 {
            for t in 0..<4 {
                scales[4 &* h &+ t] = tokens[t].spreadScales[(h >> 1) &* 8 &+ (h & 1) &* 4]
                sums[4 &* h &+ t] = tokens[t].sums[h]
            }
        }
    }
}

/// `integerDot` of one row with four tokens, their chains side by side: lane 4k + t of one
/// register holds chain k of token t, so that one conversion, one scaling and one multiply-add
/// serve four tokens where `integerDots` spends one each per token. The sums of each half-part
/// are those of `integerDot` (exact), scaled and added in the same order: the same bits.
/// row: [columns] as blocks  x: four tokens  -> [4]
@inline(__always)
func integerDotsOfFour<D: IntegerPartDecoder>(_: D.Type, _ row: UnsafeRawPointer, _ x: FourTokens,
                                              blocks: Int) -> InlineArray<4, Float> {
    var products = SIMD16<Float>(), offsets = SIMD16<Float>()
    let parts = blocks &* D.parts
    var p = 0
    while p &+ 1 < parts {
        let pair = partPair(D.self, row, p)
        @inline(__always) func quads(_ t: Int) -> SIMD16<Int32> {
            pairProducts(D.self, pair.codes, x.tokens[t], p)
        }
        // Half-parts h = 2p + k, k = 0…3 (chain k); x's entries 4h + t start at 8p.
        let sums = halfSumsOfFour(quads(0), quads(1), quads(2), quads(3))
        let s = pair.scales * UnsafeRawPointer(x.scales).loadUnaligned(fromByteOffset: p &* 32, as: SIMD16<Float>.self)
        products = products.addingProduct(floats(sums), s)
        let o = pair.offsets
        let spread = SIMD16(lowHalf: SIMD8(lowHalf: SIMD4(repeating: o[0]), highHalf: SIMD4(repeating: o[1])),
                            highHalf: SIMD8(lowHalf: SIMD4(repeating: o[2]), highHalf: SIMD4(repeating: o[3])))
        offsets = offsets.addingProduct(spread, UnsafeRawPointer(x.sums).loadUnaligned(fromByteOffset: p &* 32, as: SIMD16<Float>.self))
        p &+= 2
    }
    // Each token's chains, as `integerDot` holds them, for a last odd part and the sum.
    var dots = InlineArray<4, Float>(repeating: 0)
    for t in 0..<4 {
        @inline(__always) func chains(_ k: Int) -> IntegerChains {
            IntegerChains(products: SIMD8(lowHalf: SIMD4(repeating: products[4 &* k &+ t]),
                                          highHalf: SIMD4(repeating: products[4 &* k &+ 4 &+ t])),
                          offsets: SIMD2(offsets[4 &* k &+ t], offsets[4 &* k &+ 4 &+ t]))
        }
        var even = chains(0)
        if p < parts { even.add(D.self, row, p, x.tokens[t]) }
        dots[t] = IntegerChains.dot(even, chains(2))
    }
    return dots
}

/// Four tokens' quad sums (as `dotByQuads` leaves them: lanes 4k…4k+3 the quads of half-part
/// k) reduced to half-part sums, token t's in lane 4k + t: two rounds of pairing lanes across
/// two registers (`vpermt2d`) and adding. Six permutes and three additions where `halfSums`
/// takes four instructions per token.
@inline(__always)
func halfSumsOfFour(_ a: SIMD16<Int32>, _ b: SIMD16<Int32>, _ c: SIMD16<Int32>, _ d: SIMD16<Int32>) -> SIMD16<Int32> {
    // In each group of 4 lanes: lanes 0 and 2 of the first register, then of the second (16+),
    // and lanes 1 and 3 of each.
    let evens = SIMD16<Int32>(0, 2, 16, 18, 4, 6, 20, 22, 8, 10, 24, 26, 12, 14, 28, 30)
    let odds = evens &+ 1
    @inline(__always) func pick(_ x: SIMD16<Int32>, _ y: SIMD16<Int32>, _ order: SIMD16<Int32>) -> SIMD16<Int32> {
        unsafeBitCast(Builtin.int_x86_avx512_vpermi2var_d_512(unsafeBitCast(x, to: Builtin.Vec16xInt32.self),
                                                              unsafeBitCast(order, to: Builtin.Vec16xInt32.self),
                                                              unsafeBitCast(y, to: Builtin.Vec16xInt32.self)),
                      to: SIMD16<Int32>.self)
    }
    // Pairs: lane 4k + 0, 1 = a's two pair sums of half k, 4k + 2, 3 = b's (likewise c, d).
    let ab = pick(a, b, evens) &+ pick(a, b, odds), cd = pick(c, d, evens) &+ pick(c, d, odds)
    return pick(ab, cd, evens) &+ pick(ab, cd, odds)
}
#endif
