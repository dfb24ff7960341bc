import Foundation

// The element-wise operations of a forward pass, 16 floats per step (two AVX2 registers),
// with a scalar loop for the last n mod 16 elements. Transcendentals (exp, tanh) stay scalar
// calls: they are a small share of a forward pass and keep the results equal to the naive
// backend's to the last bit.

/// Applies `body` to every 16-float chunk of `n` and `tail` to each of the last n mod 16.
@inline(__always)
func forEachChunk(_ n: Int, _ body: (Int) -> Void, tail: (Int) -> Void) {
    var i = 0
    while i &+ 16 <= n {
        body(i)
        i &+= 16
    }
    while i < n {
        tail(i)
        i &+= 1
    }
}

@inline(__always)
func load16(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD16<Float> {
    UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
    UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD16<Float>.self)
}

/// out = a + b.   a, b, out: [n]
func simdAdd(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    forEachChunk(n, { i in store16(load16(a, i) + load16(b, i), out, i) }, tail: { i in out[i] = a[i] + b[i] })
}

/// out = a ⊙ b.   a, b, out: [n]
func simdMul(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    forEachChunk(n, { i in store16(load16(a, i) * load16(b, i), out, i) }, tail: { i in out[i] = a[i] * b[i] })
}

/// y ← y + α·x.   x, y: [n]
func simdAxpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    let a = SIMD16<Float>(repeating: alpha)
    forEachChunk(n, { i in store16(load16(y, i) + a * load16(x, i), y, i) }, tail: { i in y[i] += alpha * x[i] })
}

/// out = x · s ⊙ weight (the second half of RMSNorm).   x, weight, out: [n]
func simdScaleMul(_ x: UnsafePointer<Float>, _ s: Float, _ weight: UnsafePointer<Float>,
                  _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    let sv = SIMD16<Float>(repeating: s)
    forEachChunk(n, { i in store16(load16(x, i) * sv * load16(weight, i), out, i) },
                 tail: { i in out[i] = x[i] * s * weight[i] })
}

/// Σ x² in Double (as the naive backend and ggml do), 16 squares at a time in Float.
func simdSumOfSquares(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
    var sum: Double = 0
    forEachChunk(n, { i in
        let v = load16(x, i)
        let s = v * v
        // Widen before adding so the total matches a Double accumulation closely.
        for lane in 0..<16 { sum += Double(s[lane]) }
    }, tail: { i in sum += Double(x[i] * x[i]) })
    return sum
}

/// max of x[0..<n] (n ≥ 1).
func simdMax(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var m = SIMD16<Float>(repeating: -.infinity)
    var scalar = -Float.infinity
    forEachChunk(n, { i in m = pointwiseMax(m, load16(x, i)) }, tail: { i in scalar = max(scalar, x[i]) })
    return max(m.max(), scalar)
}

/// x ← x · s.   x: [n]
func simdScale(_ x: UnsafeMutablePointer<Float>, _ s: Float, _ n: Int) {
    let sv = SIMD16<Float>(repeating: s)
    forEachChunk(n, { i in store16(load16(x, i) * sv, x, i) }, tail: { i in x[i] *= s })
}

/// The angles of RoPE for one position, computed once per call and shared by every head:
/// cos and sin of position · freqScale · base^(−2i/dimensions) for pair i, in Double as the
/// naive backend does.
func ropeAngles(position: Int, config: RoPEConfig, cos c: UnsafeMutablePointer<Float>, sin s: UnsafeMutablePointer<Float>) {
    let dims = config.dimensions
    for i in 0..<dims / 2 {
        let theta = Double(position) * Double(config.freqScale)
            * pow(Double(config.freqBase), -2 * Double(i) / Double(dims))
        c[i] = Float(cos(theta))
        s[i] = Float(sin(theta))
    }
}
