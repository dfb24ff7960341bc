// The two loops of attention over the KV cache, blocked so that what is loaded is used several
// times. A query against many keys: the query's chunk serves sixteen keys at once with AVX-512
// (`simdDotsOfSixteen`, the same bits), else four. A weighted sum
// of many values: the output stays in registers, 64 floats at a time, while the values stream
// past; one value row costs 4 multiply-adds and no store (an `axpy` per row loads and stores
// the output every time).

/// out[p] = q · key_p for p in 0..<count, key_p starting at keys + p·stride; sixteen or four
/// keys per pass (the same bits for a key in either: its 16 lanes chained chunk by chunk, then
/// `horizontalSum`), then the last count mod 4 keys one by one (`simdDot`).
/// q: [n]  keys: [count, stride] (the first n of each row)  -> out: [count]
@inline(__always)
func simdDots(_ q: UnsafePointer<Float>, _ n: Int, keys: UnsafePointer<Float>, stride: Int,
              _ out: UnsafeMutablePointer<Float>, count: Int) {
    var p = 0
    #if AVX512
    if n % 16 == 0 && count >= 16 {
        let orders = halvingOrders
        while p &+ 16 <= count {
            simdDotsOfSixteen(q, n, keys: keys + p &* stride, stride: stride, out + p, orders: orders)
            p &+= 16
        }
    }
    #endif
    while p &+ 4 <= count {
        let k0 = keys + p &* stride, k1 = k0 + stride, k2 = k1 + stride, k3 = k2 + stride
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        var i = 0
        while i &+ 16 <= n {
            let qi = load16(q, i)
            a0 = a0.addingProduct(qi, load16(k0, i))
            a1 = a1.addingProduct(qi, load16(k1, i))
            a2 = a2.addingProduct(qi, load16(k2, i))
            a3 = a3.addingProduct(qi, load16(k3, i))
            i &+= 16
        }
        var s = SIMD4(horizontalSum(a0), horizontalSum(a1), horizontalSum(a2), horizontalSum(a3))
        while i < n {
            s = s.addingProduct(SIMD4(repeating: q[i]), SIMD4(k0[i], k1[i], k2[i], k3[i]))
            i &+= 1
        }
        UnsafeMutableRawPointer(out + p).storeBytes(of: s, as: SIMD4<Float>.self)
        p &+= 4
    }
    while p < count {
        out[p] = simdDot(q, keys + p &* stride, n)
        p &+= 1
    }
}

/// out ← out + Σ_p weights[p] · value_p, value_p starting at values + p·stride, skipping zero
/// weights (masked positions). 64 output floats stay in registers over all p, then 16, then one.
/// weights: [count]  values: [count, stride] (the first n of each row)  out: [n]
@inline(__always)
func simdWeightedSum(_ weights: UnsafePointer<Float>, count: Int, values: UnsafePointer<Float>, stride: Int,
                     _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    while i &+ 64 <= n {
        var o0 = load16(out, i), o1 = load16(out, i &+ 16), o2 = load16(out, i &+ 32), o3 = load16(out, i &+ 48)
        for p in 0..<count where weights[p] != 0 {
            let w = SIMD16(repeating: weights[p]), v = values + p &* stride + i
            o0 = o0.addingProduct(w, load16(v, 0))
            o1 = o1.addingProduct(w, load16(v, 16))
            o2 = o2.addingProduct(w, load16(v, 32))
            o3 = o3.addingProduct(w, load16(v, 48))
        }
        store16(o0, out, i); store16(o1, out, i &+ 16); store16(o2, out, i &+ 32); store16(o3, out, i &+ 48)
        i &+= 64
    }
    while i &+ 16 <= n {
        var o = load16(out, i)
        for p in 0..<count where weights[p] != 0 {
            o = o.addingProduct(SIMD16(repeating: weights[p]), load16(values + p &* stride, i))
        }
        store16(o, out, i)
        i &+= 16
    }
    while i < n {
        var o = out[i]
        for p in 0..<count where weights[p] != 0 { o = o.addingProduct(weights[p], values[p &* stride &+ i]) }
        out[i] = o
        i &+= 1
    }
}
