import Foundation

// e^x for 16 floats at once, for SiLU over a whole prompt (128 tokens × 1536 values per layer,
// where one `expf` call per value was 5 % of prompt processing) and for softmax.
//
// The method of ARM's optimized-routines, which ggml uses (`ggml_v_expf`):
//
//     e^x = 2^n · e^b,   n = round(x / ln 2),   b = x − n·ln 2  (|b| ≤ ln 2 / 2)
//
// n is rounded by adding and subtracting 1.5·2^23 (the float's mantissa then holds n); ln 2 is
// split in two constants so that b is exact enough; e^b − 1 is a degree-5 polynomial; 2^n is
// built from n's bits in the exponent field. Error: within 2 ulp of the correctly rounded
// value. Lanes with |n| > 126 (|x| ≳ 87, where 2^n leaves the normal floats) are not handled:
// the caller computes those chunks with the scalar `exp`.

/// e^x in every lane, or nil when a lane is outside |x / ln 2| ≤ 126.
@inline(__always)
func vectorExp(_ x: SIMD16<Float>) -> SIMD16<Float>? {
    let shifter = SIMD16<Float>(repeating: 0x1.8p23)
    let z = shifter.addingProduct(x, SIMD16(repeating: 0x1.715476p+0))   // x·log2(e) + 1.5·2^23
    let n = z - shifter                                                     // round(x·log2(e))
    guard !any(n .> 126 .| n .< -126) else { return nil }
    let b = x.addingProduct(-n, SIMD16(repeating: 0x1.62e4p-1))            // x − n·ln 2, in two steps
             .addingProduct(-n, SIMD16(repeating: 0x1.7f7d1cp-20))
    // 2^n: n's low bits, moved into the exponent field, added to the bits of 1.0.
    let twoToN = unsafeBitCast(unsafeBitCast(z, to: SIMD16<UInt32>.self) &<< 23
                               &+ unsafeBitCast(SIMD16<Float>(repeating: 1), to: SIMD16<UInt32>.self),
                               to: SIMD16<Float>.self)
    let u = b * b
    let high = SIMD16<Float>(repeating: 0x1.573e2ep-5).addingProduct(SIMD16(repeating: 0x1.0e4020p-7), b)
    let low = SIMD16<Float>(repeating: 0x1.fffdb6p-2).addingProduct(SIMD16(repeating: 0x1.555e66p-3), b)
    let expBMinusOne = (SIMD16<Float>(repeating: 0x1.ffffecp-1) * b)
        .addingProduct(low.addingProduct(high, u), u)                      // e^b − 1
    return twoToN.addingProduct(expBMinusOne, twoToN)                       // 2^n · e^b
}

/// GELU (tanh approximation) with `vectorExp`, written as the logistic function it is:
///
///     ½·x·(1 + tanh(u)) = x · e^(2u) / (e^(2u) + 1) = x / (1 + e^(−2u)),   u = √(2/π)·(x + 0.044715·x³)
///
/// so that no `1 + tanh` loses digits to cancellation for negative x. A run of 16 with a lane
/// outside `vectorExp`'s range (|x| ≳ 10) takes the scalar formula, as in `simdSiLU`.   x: [n]  (in place)
func simdGELU(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
    let sqrtTwoOverPi: Float = 0.797_884_560_802_865_4
    @inline(__always) func scalar(_ i: Int) {
        let v = x[i]
        x[i] = 0.5 * v * (1 + tanh(sqrtTwoOverPi * v * (1 + 0.044715 * v * v)))
    }
    forEachChunk(n, { i in
        let v = load16(x, i)
        if let e = vectorExp((-2 * sqrtTwoOverPi * v) * (1 + 0.044715 * v * v)) {
            store16(v / (1 + e), x, i)
        } else {
            for j in i ..< i &+ 16 { scalar(j) }
        }
    }, tail: scalar)
}

/// x[i] = x[i] / (1 + e^(−x[i])), 16 at a time with `vectorExp`; scalar `exp` for the tail and
/// for chunks with an out-of-range lane.   x: [n]  (in place)
func simdSiLU(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
    @inline(__always) func scalar(_ i: Int) { x[i] = x[i] / (1 + exp(-x[i])) }
    forEachChunk(n, { i in
        let v = load16(x, i)
        if let e = vectorExp(-v) {
            store16(v / (1 + e), x, i)
        } else {
            for j in i ..< i &+ 16 { scalar(j) }
        }
    }, tail: scalar)
}
