// Attention's scores, sixteen keys per pass, on AVX-512, with `simdDots`'s arithmetic to the bit.
//
// A query against one key leaves 16 lanes of partial sums (lane l: Σ over columns l, l + 16,
// l + 32, …, one multiply-add per chunk), which `horizontalSum` reduces by halving:
//
//     eight[j] = v[j] + v[j + 8]    four[j] = eight[j] + eight[j + 4]
//     two[j]   = four[j] + four[j + 2]    sum = two[0] + two[1]
//
// Done key by key, that is 3 shuffles and 4 additions per key for one score. Here the halving
// runs on sixteen keys' registers together: each step pairs the lanes of two registers with two
// `vpermt2ps` and adds them, so that every addition does the work of sixteen lanes (15
// additions and 30 permutes for 16 keys). The additions are the very ones of `horizontalSum`
// (a + b = b + a in IEEE arithmetic), so every score keeps its bits.

#if AVX512
import Builtin

/// out[p] = q · key_p for p in 0..<16, key_p starting at keys + p·stride; `orders` are
/// `halvingOrders`.
/// q: [n] (n a multiple of 16)  keys: [16, stride] (the first n of each row)  -> out: [16]
@inline(__always)
func simdDotsOfSixteen(_ q: UnsafePointer<Float>, _ n: Int, keys: UnsafePointer<Float>, stride: Int,
                       _ out: UnsafeMutablePointer<Float>, orders: UnsafePointer<SIMD16<Int32>>) {
    var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
    var a4 = SIMD16<Float>(), a5 = SIMD16<Float>(), a6 = SIMD16<Float>(), a7 = SIMD16<Float>()
    var a8 = SIMD16<Float>(), a9 = SIMD16<Float>(), a10 = SIMD16<Float>(), a11 = SIMD16<Float>()
    var a12 = SIMD16<Float>(), a13 = SIMD16<Float>(), a14 = SIMD16<Float>(), a15 = SIMD16<Float>()
    var i = 0
    while i &+ 16 <= n {
        let qi = load16(q, i)
        @inline(__always) func key(_ p: Int) -> SIMD16<Float> { load16(keys + p &* stride, i) }
        a0 = a0.addingProduct(qi, key(0)); a1 = a1.addingProduct(qi, key(1))
        a2 = a2.addingProduct(qi, key(2)); a3 = a3.addingProduct(qi, key(3))
        a4 = a4.addingProduct(qi, key(4)); a5 = a5.addingProduct(qi, key(5))
        a6 = a6.addingProduct(qi, key(6)); a7 = a7.addingProduct(qi, key(7))
        a8 = a8.addingProduct(qi, key(8)); a9 = a9.addingProduct(qi, key(9))
        a10 = a10.addingProduct(qi, key(10)); a11 = a11.addingProduct(qi, key(11))
        a12 = a12.addingProduct(qi, key(12)); a13 = a13.addingProduct(qi, key(13))
        a14 = a14.addingProduct(qi, key(14)); a15 = a15.addingProduct(qi, key(15))
        i &+= 16
    }
    // eight: lanes 0…7 key 2m, 8…15 key 2m + 1.
    let e0 = halving(a0, a1, orders, 0), e1 = halving(a2, a3, orders, 0)
    let e2 = halving(a4, a5, orders, 0), e3 = halving(a6, a7, orders, 0)
    let e4 = halving(a8, a9, orders, 0), e5 = halving(a10, a11, orders, 0)
    let e6 = halving(a12, a13, orders, 0), e7 = halving(a14, a15, orders, 0)
    // four: lanes 4k…4k + 3 key 4m + k.
    let f0 = halving(e0, e1, orders, 1), f1 = halving(e2, e3, orders, 1)
    let f2 = halving(e4, e5, orders, 1), f3 = halving(e6, e7, orders, 1)
    // two: lanes 2k, 2k + 1 key 8m + k.
    let t0 = halving(f0, f1, orders, 2), t1 = halving(f2, f3, orders, 2)
    store16(halving(t0, t1, orders, 3), out, 0)
}

/// Step s of the halving (s = 0…3: groups of 16, 8, 4, 2 lanes) of two registers x and y, each
/// holding groups of partial sums (one group per key): for each group, its first half plus
/// its second half, x's groups first, then y's.
@inline(__always)
private func halving(_ x: SIMD16<Float>, _ y: SIMD16<Float>, _ orders: UnsafePointer<SIMD16<Int32>>,
                     _ s: Int) -> SIMD16<Float> {
    @inline(__always) func pick(_ order: SIMD16<Int32>) -> SIMD16<Float> {
        unsafeBitCast(Builtin.int_x86_avx512_vpermi2var_ps_512(unsafeBitCast(x, to: Builtin.Vec16xFPIEEE32.self),
                                                               unsafeBitCast(order, to: Builtin.Vec16xInt32.self),
                                                               unsafeBitCast(y, to: Builtin.Vec16xFPIEEE32.self)),
                      to: SIMD16<Float>.self)
    }
    return pick(orders[2 &* s]) + pick(orders[2 &* s &+ 1])
}

/// The `vpermt2ps` orders of the halving's steps, first halves then second halves, in memory
/// the compiler does not read at compile time: as constants, LLVM rewrote the permutes as
/// 128-bit shuffles, inserts and spills (`perf annotate`). Step s (half = 8, 4, 2, 1 lanes):
/// result lane j is group j / half of (x, y), element j mod half; y's lanes are 16…31.
nonisolated(unsafe) let halvingOrders: UnsafePointer<SIMD16<Int32>> = {
    let orders = UnsafeMutablePointer<SIMD16<Int32>>.allocate(capacity: 8)
    for (s, half) in [8, 4, 2, 1].enumerated() {
        for j in 0..<16 {
            let first = Int32(j / half * 2 * half + j % half)
            orders[2 * s][j] = first
            orders[2 * s + 1][j] = first + Int32(half)
        }
    }
    return UnsafePointer(orders)
}()
#endif
