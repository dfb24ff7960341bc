import Kernels

/// The index of the first largest value, as a scan `if x[i] > best` from x[0] finds it (NaNs
/// never win; a NaN x[0] does, nothing being larger). Greedy sampling's argmax over the whole
/// vocabulary: the largest value by 16 lanes at a time, then its first position. (The scan,
/// one compare and branch per logit, was 30–45 µs for 49 152 logits, a twentieth of a server
/// step of 8 slots.)
/// x: [n], n ≥ 1  -> i in 0..<n
public func firstLargest(_ x: UnsafeBufferPointer<Float>) -> Int {
    precondition(!x.isEmpty, "firstLargest of no values")
    let first = x[0]
    if first.isNaN { return 0 }
    let n = x.count, base = UnsafeRawPointer(x.baseAddress!)
    // The largest value (NaNs passed over; x[0] is a number, so it is one too), then its
    // first position.
    let largest = simdMax(x.baseAddress!, n)
    let target = SIMD16<Float>(repeating: largest)
    var i = 0
    while i + 16 <= n {
        let v = base.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        if any(v .== target) {
            for lane in 0..<16 where v[lane] == largest { return i + lane }
        }
        i += 16
    }
    while i < n {
        if x[i] == largest { return i }
        i += 1
    }
    return 0
}
