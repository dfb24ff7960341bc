import GGUF

// One row of a weight matrix against activations: the inner loop of every matrix product.
// Quantized rows are decoded one block at a time into a scratch buffer of one block (32 or
// 256 floats, in L1 or in registers) and multiplied there: the weights are read once, as
// bytes, and never expanded beyond one block.

/// Σ of the 16 lanes by halving (16 → 8 → 4 → 1): a handful of shuffles, where `sum()` adds
/// the lanes one by one.
@inline(__always)
func horizontalSum(_ v: SIMD16<Float>) -> Float {
    let eight = v.lowHalf + v.highHalf
    let four = eight.lowHalf + eight.highHalf
    return (four.lowHalf + four.highHalf).sum()
}

/// a·b over `n` floats with 4 independent SIMD16 accumulators (64 floats per turn), so
/// consecutive FMAs do not wait for each other's result.
@inline(__always)
func simdDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    let pa = UnsafeRawPointer(a), pb = UnsafeRawPointer(b)
    var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
    var i = 0
    while i &+ 64 <= n {
        let o = i &* 4
        s0 = s0.addingProduct(pa.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self),
                              pb.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self))
        s1 = s1.addingProduct(pa.loadUnaligned(fromByteOffset: o &+ 64, as: SIMD16<Float>.self),
                              pb.loadUnaligned(fromByteOffset: o &+ 64, as: SIMD16<Float>.self))
        s2 = s2.addingProduct(pa.loadUnaligned(fromByteOffset: o &+ 128, as: SIMD16<Float>.self),
                              pb.loadUnaligned(fromByteOffset: o &+ 128, as: SIMD16<Float>.self))
        s3 = s3.addingProduct(pa.loadUnaligned(fromByteOffset: o &+ 192, as: SIMD16<Float>.self),
                              pb.loadUnaligned(fromByteOffset: o &+ 192, as: SIMD16<Float>.self))
        i &+= 64
    }
    while i &+ 16 <= n {
        let o = i &* 4
        s0 = s0.addingProduct(pa.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self),
                              pb.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self))
        i &+= 16
    }
    var sum = horizontalSum((s0 + s1) + (s2 + s3))
    while i < n {
        sum += a[i] * b[i]
        i &+= 1
    }
    return sum
}

/// Σ over blocks of (decoded block)·x, for a row of `blocks` blocks of format `D`.
/// Each 32-weight part is decoded into a 32-float scratch and multiplied with two accumulators;
/// the block's scale is already folded into the decoded weights, so there is no horizontal sum
/// until the end of the row. The scratch is allocated here, on the stack, so that LLVM sees
/// all its uses: it keeps the decoded part in registers and the scratch disappears (measured:
/// 1.3–2× faster than a scratch owned by the caller).
@inline(__always)
func decodedDot<D: BlockDecoder>(_: D.Type, _ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, blocks: Int) -> Float {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 32) { scratch in
        let t = scratch.baseAddress!
        let pt = UnsafeRawPointer(t), px = UnsafeRawPointer(x)
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>()
        for b in 0..<blocks {
            let block = row + b &* D.bytes
            for part in 0..<D.parts {
                D.decodePart(block, part, into: t)
                let o = (b &* D.weights &+ part &* 32) &* 4
                a0 = a0.addingProduct(pt.loadUnaligned(as: SIMD16<Float>.self),
                                      px.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self))
                a1 = a1.addingProduct(pt.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self),
                                      px.loadUnaligned(fromByteOffset: o &+ 64, as: SIMD16<Float>.self))
            }
        }
        return horizontalSum(a0 + a1)
    }
}

/// `decodedDot` of one row with N tokens: each part is decoded once and used N times, and each
/// token's sums are exactly `decodedDot`'s, in the same order (the same bits).
/// row: [columns] as blocks  xs: N tokens  -> [N]
@inline(__always)
func decodedDots<let N: Int, D: BlockDecoder>(_: D.Type, _ row: UnsafeRawPointer, _ xs: InlineArray<N, UnsafePointer<Float>>,
                                             blocks: Int) -> InlineArray<N, Float> {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 32) { scratch in
        let t = scratch.baseAddress!
        let pt = UnsafeRawPointer(t)
        var a0 = InlineArray<N, SIMD16<Float>>(repeating: .zero), a1 = a0
        for b in 0..<blocks {
            let block = row + b &* D.bytes
            for part in 0..<D.parts {
                D.decodePart(block, part, into: t)
                let o = (b &* D.weights &+ part &* 32) &* 4
                let w0 = pt.loadUnaligned(as: SIMD16<Float>.self), w1 = pt.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
                for k in 0..<N {
                    let px = UnsafeRawPointer(xs[k])
                    a0[k] = a0[k].addingProduct(w0, px.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self))
                    a1[k] = a1[k].addingProduct(w1, px.loadUnaligned(fromByteOffset: o &+ 64, as: SIMD16<Float>.self))
                }
            }
        }
        var dots = InlineArray<N, Float>(repeating: 0)
        for k in 0..<N { dots[k] = horizontalSum(a0[k] + a1[k]) }
        return dots
    }
}

/// w.row(r)·x_t for r in `rows` and each of `count` tokens, with float activations, every dot
/// `dotRows`'s bits; for block types decoded part by part, each part is decoded once per 8 or 4
/// tokens (`decodedDots`) and each row read once. Returns false for the other types (floats,
/// Q4_0/Q4_1's nibble kernels), which the caller multiplies token by token.
/// w: [rows, columns]  x: [count, columns]  -> y: [count, w.rows]
func decodedDotRows(_ w: WeightMatrix, _ rows: Range<Int>, _ x: UnsafePointer<Float>, count: Int,
                    _ y: UnsafeMutablePointer<Float>) -> Bool {
    let blocks = w.columns / w.type.blockSize
    @inline(__always) func each<D: BlockDecoder>(_ d: D.Type) {
        for r in rows {
            let row = w.row(r)
            w.prefetchRowAhead(of: r)
            /// Tokens t ..< t + N with this row (`decodedDots`), into y.
            @inline(__always) func group<let N: Int>(_ t: Int, _: InlineArray<N, Float>.Type) {
                var xs = InlineArray<N, UnsafePointer<Float>>(repeating: x)
                for j in 0..<N { xs[j] = x + (t &+ j) &* w.columns }
                let dots = decodedDots(d, row, xs, blocks: blocks)
                for j in 0..<N { y[(t &+ j) &* w.rows &+ r] = dots[j] }
            }
            var t = 0
            while count - t >= 8 { group(t, InlineArray<8, Float>.self); t &+= 8 }
            while count - t >= 4 { group(t, InlineArray<4, Float>.self); t &+= 4 }
            while t < count {
                y[t &* w.rows &+ r] = decodedDot(d, row, x + t &* w.columns, blocks: blocks)
                t &+= 1
            }
        }
    }
    switch w.type {
    case .q5_0: each(Q5_0Decoder.self)
    case .q5_1: each(Q5_1Decoder.self)
    case .q8_0: each(Q8_0Decoder.self)
    case .q2_K: each(Q2_KDecoder.self)
    case .q3_K: each(Q3_KDecoder.self)
    case .q4_K: each(Q4_KDecoder.self)
    case .q5_K: each(Q5_KDecoder.self)
    case .q6_K: each(Q6_KDecoder.self)
    default: return false
    }
    return true
}

/// Σ x over block b of 32: x[32b] + … + x[32b + 31].   x: [32 · (b + 1)]
@inline(__always)
func blockSum(_ x: UnsafePointer<Float>, _ b: Int) -> Float {
    let px = UnsafeRawPointer(x), o = b &* 128
    return horizontalSum(px.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
                         + px.loadUnaligned(fromByteOffset: o &+ 64, as: SIMD16<Float>.self))
}

/// Writes the `blocks · D.weights` weights of a row as floats.
@inline(__always)
func decodeRow<D: BlockDecoder>(_: D.Type, _ row: UnsafeRawPointer, blocks: Int, into y: UnsafeMutablePointer<Float>) {
    for b in 0..<blocks { D.decode(row + b &* D.bytes, into: y + b &* D.weights) }
}

// MARK: - Float rows (F16, BF16): converted 64 at a time into a scratch, then dotted

/// Converts `n` halves to floats (vectorised by LLVM into `vcvtph2ps`).
@inline(__always)
func halvesToFloats(_ h: UnsafeRawPointer, _ n: Int, into y: UnsafeMutablePointer<Float>) {
    let p = h.assumingMemoryBound(to: UInt16.self)
    for i in 0..<n { y[i] = halfToFloat(p[i]) }
}

/// Converts `n` bfloat16 values to floats: a bf16 is the top half of a float's bits.
@inline(__always)
func bfloatsToFloats(_ h: UnsafeRawPointer, _ n: Int, into y: UnsafeMutablePointer<Float>) {
    let p = h.assumingMemoryBound(to: UInt16.self)
    for i in 0..<n { y[i] = Float(bitPattern: UInt32(p[i]) << 16) }
}

/// Chunk of a 16-bit float row converted at once: 64 floats = 256 bytes of scratch.
let floatRowChunk = 64

/// Dot of a 16-bit float row with x: `floatRowChunk` values converted into the scratch at a
/// time, multiplied into vector accumulators that are summed once at the end of the row.
@inline(__always)
func convertedDot(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ n: Int, bfloat: Bool,
                  scratch t: UnsafeMutablePointer<Float>) -> Float {
    let pt = UnsafeRawPointer(t)
    var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
    var i = 0
    while i &+ floatRowChunk <= n {
        if bfloat { bfloatsToFloats(row + i &* 2, floatRowChunk, into: t) } else { halvesToFloats(row + i &* 2, floatRowChunk, into: t) }
        let px = UnsafeRawPointer(x + i)
        a0 = a0.addingProduct(pt.loadUnaligned(as: SIMD16<Float>.self), px.loadUnaligned(as: SIMD16<Float>.self))
        a1 = a1.addingProduct(pt.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self),
                              px.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self))
        a2 = a2.addingProduct(pt.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self),
                              px.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self))
        a3 = a3.addingProduct(pt.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self),
                              px.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self))
        i &+= floatRowChunk
    }
    var sum = horizontalSum((a0 + a1) + (a2 + a3))
    if i < n {
        let m = n &- i
        if bfloat { bfloatsToFloats(row + i &* 2, m, into: t) } else { halvesToFloats(row + i &* 2, m, into: t) }
        sum += simdDot(t, x + i, m)
    }
    return sum
}

// MARK: - Dispatch by type

/// The activations of one matrix-vector product as the row kernels read them: the floats, and
/// for 4-bit formats the same floats reordered for `nibbleDotRows`. Prepared once per product
/// (`withRowInput`) and shared by every thread.
struct RowInput {
    let x: UnsafePointer<Float>
    let nibbleOrdered: NibbleOrderedActivations?
}

/// Calls `body` with x prepared for the row kernels of `w`'s type.   x: [w.columns]
func withRowInput<R>(_ w: WeightMatrix, _ x: UnsafePointer<Float>, _ body: (RowInput) -> R) -> R {
    guard w.type == .q4_0 || w.type == .q4_1 else { return body(RowInput(x: x, nibbleOrdered: nil)) }
    let count = NibbleOrderedActivations.scratchCount(columns: w.columns)
    return withUnsafeTemporaryAllocation(of: Float.self, capacity: count) { scratch in
        body(RowInput(x: x, nibbleOrdered: NibbleOrderedActivations(x, columns: w.columns, scratch: scratch.baseAddress!)))
    }
}

/// w.row(r)·x for every r in `rows`, into y[r]. The switch on the type happens once per call;
/// inside, each case is a loop specialised for one format. (The scratch is for converting
/// 16-bit float rows; quantized rows have their own, in `decodedDot`.)
/// w: [rows, columns]  x: [columns]  -> y[rows]
func dotRows(_ w: WeightMatrix, _ rows: Range<Int>, _ input: RowInput, _ y: UnsafeMutablePointer<Float>) {
    let x = input.x
    withUnsafeTemporaryAllocation(of: Float.self, capacity: floatRowChunk) { scratch in
        let t = scratch.baseAddress!
        let blocks = w.columns / w.type.blockSize
        @inline(__always) func each<D: BlockDecoder>(_ d: D.Type) {
            for r in rows { y[r] = decodedDot(d, w.row(r), x, blocks: blocks) }
        }
        switch w.type {
        case .f32:
            for r in rows { y[r] = simdDot(w.row(r).assumingMemoryBound(to: Float.self), x, w.columns) }
        case .f16:
            for r in rows { y[r] = convertedDot(w.row(r), x, w.columns, bfloat: false, scratch: t) }
        case .bf16:
            for r in rows { y[r] = convertedDot(w.row(r), x, w.columns, bfloat: true, scratch: t) }
        case .q4_0: nibbleDotRows(Q4_0Nibbles.self, w, rows, input.nibbleOrdered!, y)
        case .q4_1: nibbleDotRows(Q4_1Nibbles.self, w, rows, input.nibbleOrdered!, y)
        case .q5_0: each(Q5_0Decoder.self)
        case .q5_1: each(Q5_1Decoder.self)
        case .q8_0: each(Q8_0Decoder.self)
        case .q2_K: each(Q2_KDecoder.self)
        case .q3_K: each(Q3_KDecoder.self)
        case .q4_K: each(Q4_KDecoder.self)
        case .q5_K: each(Q5_KDecoder.self)
        case .q6_K: each(Q6_KDecoder.self)
        default:
            preconditionFailure("\(w.name): type \(w.type) is not computable (checked by the caller)")
        }
    }
}

/// Rows `rows` of w as floats, row after row into `out` (which holds rows.count · columns).
/// w: [rows, columns]  -> out: [rows.count, columns]
func decodeRows(_ w: WeightMatrix, _ rows: Range<Int>, into out: UnsafeMutablePointer<Float>) {
    let blocks = w.columns / w.type.blockSize
    @inline(__always) func each<D: BlockDecoder>(_ d: D.Type) {
        for (i, r) in rows.enumerated() { decodeRow(d, w.row(r), blocks: blocks, into: out + i &* w.columns) }
    }
    switch w.type {
    case .f32:
        out.update(from: w.row(rows.lowerBound).assumingMemoryBound(to: Float.self), count: rows.count * w.columns)
    case .f16:
        halvesToFloats(w.row(rows.lowerBound), rows.count * w.columns, into: out)
    case .bf16:
        bfloatsToFloats(w.row(rows.lowerBound), rows.count * w.columns, into: out)
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
    default:
        preconditionFailure("\(w.name): type \(w.type) is not computable (checked by the caller)")
    }
}
