// The server's step: up to 8 tokens (one per slot) against every row, with `integerDot`'s
// arithmetic to the bit, on AVX-512 VNNI.
//
// `integerDotsOfFour` keeps a row's 4 tokens in the lanes of one register but still multiplies
// each token's codes separately and reduces the 4 quad sums of each half-part by permutes. Here
// the lanes are (row, token) pairs, as in the integer GEMM: lanes 0…7 are row A with tokens
// 0…7, lanes 8…15 row B with the same tokens. One `vpdpbusd` then adds 4 columns of 16 dot
// products at once, each lane's sum over a half-part (16 columns) ends whole in its lane, and
// nothing is reduced across lanes:
//
//     S_h[lane] = Σ_{4 quads of h} vpdpbusd(row's quad broadcast to its 8 lanes, tokens' quads)
//     c_j      = fma(S_h, scale_h·dx_h, c_j)           j = h mod 4, h ascending
//     o_j      = fma(offset_h, Σx̂_h, o_j)
//     dot      = ((c_0 + o_0) + (c_1 + o_1)) + ((c_2 + o_2) + (c_3 + o_3))
//
// The row's quad is put in its 8 lanes by `vpermd` from the part's codes (row A's 32 bytes, then
// row B's); the tokens' quads are packed once per call, each twice (for row A's lanes and B's).

#if AVX512VNNI
import Builtin
#endif

/// Up to 8 tokens rounded to int8, packed for `integerDotsOfEight`: for each quad of columns g,
/// the 8 tokens' 4 codes then the same again (16 lanes); for each half-part h, the tokens' scales,
/// sums of rounded values, and 128 × sums of codes (for Q8_0's centred codes), likewise twice.
/// Missing tokens are zeros.
/// codes: [n/4, 16] (4 bytes each)  scales, sums: [n/16, 16]  centring: [n/16, 16]
struct EightTokens {
    /// Tokens packed (1…8).
    let count: Int
    let codes: UnsafeMutableRawPointer
    let scales: UnsafeMutablePointer<Float>
    let sums: UnsafeMutablePointer<Float>
    let centring: UnsafeMutablePointer<Int32>

    /// Bytes of scratch (64-byte aligned) for tokens of `n` activations.
    static func scratchBytes(_ n: Int) -> Int { n / 4 * 64 + 3 * (n / 16 * 64) }

    /// Packs tokens[0..<count] (count ≤ 8) into `scratch`.
    init(_ tokens: UnsafePointer<Int8Activations>, count: Int, _ n: Int, scratch: UnsafeMutableRawPointer) {
        let halves = n / 16
        self.count = count
        codes = scratch
        scales = (scratch + n / 4 * 64).bindMemory(to: Float.self, capacity: halves * 16)
        sums = (scratch + n / 4 * 64 + halves * 64).bindMemory(to: Float.self, capacity: halves * 16)
        centring = (scratch + n / 4 * 64 + 2 * halves * 64).bindMemory(to: Int32.self, capacity: halves * 16)
        if count < 8 { scratch.initializeMemory(as: UInt8.self, repeating: 0, count: Self.scratchBytes(n)) }
        let quads = codes.bindMemory(to: UInt32.self, capacity: n / 4 * 16)
        for t in 0..<count {
            let x = tokens[t], xQuads = UnsafeRawPointer(x.codes)
            for g in 0..<n / 4 {
                let quad = xQuads.loadUnaligned(fromByteOffset: g &* 4, as: UInt32.self)
                quads[g &* 16 &+ t] = quad
                quads[g &* 16 &+ 8 &+ t] = quad
            }
            for h in 0..<halves {
                // 128 × the half-part's sum of codes: its four centring quads (−128 × each
                // quad's sum) added and negated.
                let q = x.centringQuads + 4 &* h
                let centred = 0 &- (q[0] &+ q[1] &+ q[2] &+ q[3])
                let scale = x.spreadScales[(h >> 1) &* 8 &+ (h & 1) &* 4]
                for lane in stride(from: h &* 16 &+ t, to: h &* 16 &+ 16, by: 8) {
                    scales[lane] = scale
                    sums[lane] = x.sums[h]
                    centring[lane] = centred
                }
            }
        }
    }
}

/// Runs `body` with the tokens of `xq` packed by eights, from the first, while at least 5 are
/// left (`integerDotsOfEight` pays from 5 tokens); none without AVX-512 VNNI. Packed once per
/// product, on the calling thread, and read by every thread.
func withEightTokenGroups<R>(_ xq: UnsafeBufferPointer<Int8Activations>, columns: Int,
                             _ body: (UnsafeBufferPointer<EightTokens>) -> R) -> R {
    #if AVX512VNNI
    let groups = xq.count >= 5 ? (xq.count + 3) / 8 : 0   // 5…12 tokens: 1 group, 13…20: 2, …
    #else
    let groups = 0
    #endif
    let bytes = EightTokens.scratchBytes(columns)
    return withUnsafeTemporaryAllocation(byteCount: max(1, groups * bytes), alignment: 64) { scratch in
        withUnsafeTemporaryAllocation(of: EightTokens.self, capacity: groups) { eights in
            for g in 0..<groups {
                (eights.baseAddress! + g).initialize(to: EightTokens(xq.baseAddress! + 8 * g, count: min(8, xq.count - 8 * g),
                                                                     columns, scratch: scratch.baseAddress! + g * bytes))
            }
            return body(UnsafeBufferPointer(eights))
        }
    }
}

#if AVX512VNNI
/// Rows A and B (pointers to their blocks) times the packed tokens: lane t is row A · token t,
/// lane 8 + t row B · token t, each `integerDot`'s bits.
@inline(__always)
func integerDotsOfEight<D: IntegerPartDecoder>(_: D.Type, _ rowA: UnsafeRawPointer, _ rowB: UnsafeRawPointer,
                                               _ x: EightTokens, blocks: Int) -> SIMD16<Float> {
    @inline(__always) func permuted(_ v: SIMD16<Int32>, _ order: SIMD16<Int32>) -> SIMD16<Int32> {
        unsafeBitCast(Builtin.int_x86_avx512_permvar_si_512(unsafeBitCast(v, to: Builtin.Vec16xInt32.self),
                                                            unsafeBitCast(order, to: Builtin.Vec16xInt32.self)),
                      to: SIMD16<Int32>.self)
    }
    /// Row A's value a in lanes 0…7, row B's b in 8…15.
    @inline(__always) func spread(_ a: Float, _ b: Float) -> SIMD16<Float> {
        SIMD16(lowHalf: SIMD8(repeating: a), highHalf: SIMD8(repeating: b))
    }
    // Quad q of row A in lanes 0…7, of row B (dword 8 + q of the part's codes) in 8…15.
    let quadOrders = quadSpreadOrders
    let codes = UnsafeRawPointer(x.codes), scales = UnsafeRawPointer(x.scales)
    let sums = UnsafeRawPointer(x.sums), centring = UnsafeRawPointer(x.centring)

    /// One half-part's terms: its exact sums as floats, their scales, its offsets and Σx̂.
    typealias Terms = (sums: SIMD16<Float>, scales: SIMD16<Float>, offsets: SIMD16<Float>, xSums: SIMD16<Float>)
    /// Part p's two half-parts (h = 2p, 2p + 1).
    @inline(__always) func terms(_ p: Int) -> (Terms, Terms) {
        let (ca, sa, oa) = D.codes(rowA + (p / D.parts) &* D.bytes, p % D.parts)
        let (cb, sb, ob) = D.codes(rowB + (p / D.parts) &* D.bytes, p % D.parts)
        var both = unsafeBitCast(SIMD64(lowHalf: ca, highHalf: cb), to: SIMD16<Int32>.self)
        if D.signedCodes { both ^= SIMD16(repeating: Int32(bitPattern: 0x8080_8080)) }   // codes + 128
        @inline(__always) func half(_ half: Int) -> Terms {
            let h = 2 &* p &+ half
            var s = SIMD16<Int32>()
            for q in 0..<4 {
                let tokens = codes.loadUnaligned(fromByteOffset: (h &* 4 &+ q) &* 64, as: SIMD16<Int32>.self)
                s = accumulatingDotByQuads(s, permuted(both, quadOrders[half &* 4 &+ q]), tokens)
            }
            if D.signedCodes { s &-= centring.loadUnaligned(fromByteOffset: h &* 64, as: SIMD16<Int32>.self) }
            let dx = scales.loadUnaligned(fromByteOffset: h &* 64, as: SIMD16<Float>.self)
            return (floats(s), spread(sa[half], sb[half]) * dx, spread(oa[half], ob[half]),
                    sums.loadUnaligned(fromByteOffset: h &* 64, as: SIMD16<Float>.self))
        }
        return (half(0), half(1))
    }
    var c0 = SIMD16<Float>(), c1 = c0, c2 = c0, c3 = c0, o0 = c0, o1 = c0, o2 = c0, o3 = c0
    let parts = blocks &* D.parts
    var p = 0
    while p &+ 1 < parts {
        let (a0, a1) = terms(p), (b0, b1) = terms(p &+ 1)
        c0 = c0.addingProduct(a0.sums, a0.scales); o0 = o0.addingProduct(a0.offsets, a0.xSums)
        c1 = c1.addingProduct(a1.sums, a1.scales); o1 = o1.addingProduct(a1.offsets, a1.xSums)
        c2 = c2.addingProduct(b0.sums, b0.scales); o2 = o2.addingProduct(b0.offsets, b0.xSums)
        c3 = c3.addingProduct(b1.sums, b1.scales); o3 = o3.addingProduct(b1.offsets, b1.xSums)
        p &+= 2
    }
    if p < parts {
        let (a0, a1) = terms(p)
        c0 = c0.addingProduct(a0.sums, a0.scales); o0 = o0.addingProduct(a0.offsets, a0.xSums)
        c1 = c1.addingProduct(a1.sums, a1.scales); o1 = o1.addingProduct(a1.offsets, a1.xSums)
    }
    return ((c0 + o0) + (c1 + o1)) + ((c2 + o2) + (c3 + o3))
}

/// `spreadIndex(0…7)`, in memory the compiler does not read at compile time: with the orders as
/// constants LLVM rewrote each `vpermd` as two shuffles (`vpshufd`, then `vpermq`), seen in
/// `perf annotate`; loaded, each stays one instruction.
nonisolated(unsafe) let quadSpreadOrders: UnsafePointer<SIMD16<Int32>> = {
    let orders = UnsafeMutablePointer<SIMD16<Int32>>.allocate(capacity: 8)
    for q in 0..<8 { orders[q] = spreadIndex(Int32(q)) }
    return UnsafePointer(orders)
}()

/// [q ×8, 8 + q ×8]: the `vpermd` order that puts dword q of row A's codes in lanes 0…7 and
/// dword q of row B's (8 + q) in lanes 8…15.
@inline(__always)
func spreadIndex(_ q: Int32) -> SIMD16<Int32> {
    SIMD16(lowHalf: SIMD8(repeating: q), highHalf: SIMD8(repeating: 8 &+ q))
}

/// `integerDotsOfEight` for rows `rows` and the packed tokens: y[t, r] for t < count.
/// w: [rows, columns]  -> y: [count, w.rows] (columns `rows` written)
@inline(__always)
func integerDotRowsOfEight<D: IntegerPartDecoder>(_: D.Type, _ w: WeightMatrix, _ rows: Range<Int>, _ x: EightTokens,
                                                  count: Int, _ y: UnsafeMutablePointer<Float>) {
    let blocks = w.columns / w.type.blockSize
    var r = rows.lowerBound
    while r < rows.upperBound {
        // An odd last row is paired with itself.
        let second = r &+ 1 < rows.upperBound ? r &+ 1 : r
        w.prefetchRowAhead(of: r)
        w.prefetchRowAhead(of: second)
        let dots = integerDotsOfEight(D.self, w.row(r), w.row(second), x, blocks: blocks)
        for t in 0..<count {
            y[t &* w.rows &+ r] = dots[t]
            if second != r { y[t &* w.rows &+ second] = dots[8 &+ t] }
        }
        r &+= 2
    }
}
#endif
