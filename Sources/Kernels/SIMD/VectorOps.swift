import Foundation

// The element-wise operations of a forward pass, 16 floats per step (two AVX2 registers),
// with a scalar loop for the last n mod 16 elements. Transcendentals are scalar calls, equal
// to the naive backend's to the last bit, except the exp of SiLU and softmax
// (`VectorExp.swift`, within 2 ulp): over a prompt they were 6 % of the time.

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
///
/// add, mul, axpy and scale are plain loops on purpose: LLVM already turns them into AVX2 code
/// (with a run-time check that the buffers do not overlap), and the benchmark measured
/// hand-written SIMD16 versions slower, not faster. Reductions (dot, Σx², max) are different:
/// LLVM may not reorder float sums, so those need explicit vector accumulators.
func simdAdd(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    for i in 0..<n { out[i] = a[i] + b[i] }
}

/// out = a ⊙ b.   a, b, out: [n]
func simdMul(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    for i in 0..<n { out[i] = a[i] * b[i] }
}

/// y ← y + α·x.   x, y: [n]
func simdAxpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    for i in 0..<n { y[i] += alpha * x[i] }
}

/// out = x · s ⊙ weight (the second half of RMSNorm).   x, weight, out: [n]
func simdScaleMul(_ x: UnsafePointer<Float>, _ s: Float, _ weight: UnsafePointer<Float>,
                  _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    for i in 0..<n { out[i] = x[i] * s * weight[i] }
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

/// max of x[0..<n] (n ≥ 1), NaNs passed over (−∞ if all are NaN), 16 lanes at a time by
/// compare-and-blend (Swift's `pointwiseMax` on SIMD16 is a generic, lane-by-lane function,
/// measured 5× slower than a scalar loop). The scalar loop had been more than half of a long
/// prompt's softmax. Also greedy sampling's first step (`firstLargest`).
public func simdMax(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var m = -Float.infinity
    var i = 0
    if n >= 16 {
        var lanes = SIMD16<Float>(repeating: -.infinity)
        while i &+ 16 <= n {
            let v = load16(x, i)
            lanes.replace(with: v, where: v .> lanes)
            i &+= 16
        }
        for l in 0..<16 { m = max(m, lanes[l]) }
    }
    while i < n {
        m = max(m, x[i])
        i &+= 1
    }
    return m
}

/// x ← x · s.   x: [n]
func simdScale(_ x: UnsafeMutablePointer<Float>, _ s: Float, _ n: Int) {
    for i in 0..<n { x[i] *= s }
}

/// The angles of RoPE for one position, computed once per call and shared by every head:
/// cos and sin of `config.angle(pair: i)` (times `rotationScale`) for pair i, in Double as the
/// naive backend does.
func ropeAngles(position: Int, config: RoPEConfig, cos c: UnsafeMutablePointer<Float>, sin s: UnsafeMutablePointer<Float>) {
    let dims = config.dimensions
    let scale = config.rotationScale
    for i in 0..<dims / 2 {
        let theta = config.angle(pair: i, position: position)
        c[i] = Float(cos(theta)) * scale
        s[i] = Float(sin(theta)) * scale
    }
}
