import GGUF

// The `simd-q8` variant: activations rounded to 8 bits, then integer dot products, as
// llama.cpp does (its Q8_0/Q8_1/Q8_K activation blocks; here blocks of 16). Integer sums may be reordered freely
// (integer addition is associative), so LLVM vectorises a plain loop of Int32 multiply-adds
// into `vpmaddwd`-style code without any hand-written intrinsics, and int8 × 4-bit products
// need no conversion to float inside the loop. The price is the rounding of x to 8 bits:
// results differ from the float path by about 1e-3 relative (measured in the benchmark).

/// x rounded to int8 in blocks of 16 with one float scale each, plus the sum of each block's
/// codes, needed for weights with an offset (Q4_1, K-quants). llama.cpp rounds in blocks of 32
/// (Q8_0/Q8_1) or 256 (Q8_K); blocks of 16 cost one more scale per 32 weights and keep the
/// error at or below llama.cpp's for every type (measured on the tiny models' logits).
/// x: [n]  -> codes: [n]  scales: [n/16]  sums: [n/16]
struct Int8Activations {
    let codes: UnsafeMutablePointer<Int8>
    let scales: UnsafeMutablePointer<Float>
    let sums: UnsafeMutablePointer<Int32>

    /// Bytes of scratch for `n` activations (n a multiple of 32).
    static func scratchBytes(_ n: Int) -> Int { n / 16 * 4 + n / 16 * 4 + n }

    /// Rounds x[0..<n] into `scratch` (at least `scratchBytes(n)` bytes, 4-aligned), as ggml's
    /// `quantize_row_q8_0` does but per 16: d = max|x| / 127, q = round(x / d).
    init(_ x: UnsafePointer<Float>, _ n: Int, scratch: UnsafeMutableRawPointer) {
        scales = scratch.bindMemory(to: Float.self, capacity: n / 16)
        sums = (scratch + n / 16 * 4).bindMemory(to: Int32.self, capacity: n / 16)
        codes = (scratch + n / 16 * 8).bindMemory(to: Int8.self, capacity: n)
        for b in 0..<n / 16 {
            let xb = x + b &* 16
            var amax: Float = 0
            for i in 0..<16 { amax = max(amax, abs(xb[i])) }
            let d = amax / 127
            let inverse: Float = d == 0 ? 0 : 1 / d
            scales[b] = d
            var sum: Int32 = 0
            for i in 0..<16 {
                let q = Int8((xb[i] * inverse).rounded())
                codes[b &* 16 &+ i] = q
                sum &+= Int32(q)
            }
            sums[b] = sum
        }
    }
}

/// A block format whose 32-weight parts are small integers with an affine map per half-part of
/// 16: weight = scale[h]·q + offset[h]. Every computable quantized type has this shape.
protocol IntegerPartDecoder: BlockDecoder {
    /// Writes the 32 integer codes of `part` to q[0..<32] and returns the scale and offset of
    /// each half (lanes 0..15, 16..31).
    static func decodeCodes(_ block: UnsafeRawPointer, _ part: Int, into q: UnsafeMutablePointer<Int8>)
        -> (scale: SIMD2<Float>, offset: SIMD2<Float>)
}

/// Σ a[i]·b[i] over 16 int8 pairs: products in Int16 (|a·b| ≤ 128·127 fits), sums in Int32 —
/// the shape LLVM turns into `vpmaddwd` (integer sums reorder freely, so it may vectorise).
@inline(__always)
func integerDot16(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>) -> Int32 {
    var sum: Int32 = 0
    for i in 0..<16 { sum &+= Int32(Int16(a[i]) &* Int16(b[i])) }
    return sum
}

/// One row against int8 activations:
/// Σ_parts Σ_halves dx_h·(scale_h·Σ q·qx + offset_h·Σ qx).
@inline(__always)
func integerDot<D: IntegerPartDecoder>(_: D.Type, _ row: UnsafeRawPointer, _ x: Int8Activations, blocks: Int) -> Float {
    withUnsafeTemporaryAllocation(of: Int8.self, capacity: 32) { scratch in
        let q = scratch.baseAddress!
        // Two lanes, one per half-part, summed at the end: no scalar chain through every part.
        var sum = SIMD2<Float>()
        for b in 0..<blocks {
            let block = row + b &* D.bytes
            for part in 0..<D.parts {
                let (scale, offset) = D.decodeCodes(block, part, into: q)
                let xb = b &* D.weights &+ part &* 32
                let xq = x.codes + xb
                let products = SIMD2<Float>(Float(integerDot16(q, xq)), Float(integerDot16(q + 16, xq + 16)))
                let h = xb &>> 4
                let sums = SIMD2<Float>(Float(x.sums[h]), Float(x.sums[h &+ 1]))
                let dx = SIMD2<Float>(x.scales[h], x.scales[h &+ 1])
                sum = sum.addingProduct(dx, scale * products + offset * sums)
            }
        }
        return sum.sum()
    }
}

/// w.row(r)·x for r in `rows` with int8 activations; float types use the float path.
/// w: [rows, columns]  x: [columns] (and its int8 rounding)  -> y[rows]
func integerDotRows(_ w: WeightMatrix, _ rows: Range<Int>, _ x: UnsafePointer<Float>, _ xq: Int8Activations,
                    _ y: UnsafeMutablePointer<Float>) {
    let blocks = w.columns / w.type.blockSize
    @inline(__always) func each<D: IntegerPartDecoder>(_ d: D.Type) {
        for r in rows { y[r] = integerDot(d, w.row(r), xq, blocks: blocks) }
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
    default: dotRows(w, rows, RowInput(x: x, nibbleOrdered: nil), y)   // float types
    }
}

// MARK: - Integer codes of each format (same layouts as the float decoders)

extension Q4_0Decoder: IntegerPartDecoder {
    @inline(__always)
    static func decodeCodes(_ block: UnsafeRawPointer, _ part: Int, into y: UnsafeMutablePointer<Int8>)
        -> (scale: SIMD2<Float>, offset: SIMD2<Float>) {
        let q = (block + 2).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            y[j] = Int8(bitPattern: q[j] & 0xF) &- 8
            y[j &+ 16] = Int8(bitPattern: q[j] >> 4) &- 8
        }
        return (SIMD2(repeating: loadHalf(block, 0)), .zero)
    }
}

extension Q4_1Decoder: IntegerPartDecoder {
    @inline(__always)
    static func decodeCodes(_ block: UnsafeRawPointer, _ part: Int, into y: UnsafeMutablePointer<Int8>)
        -> (scale: SIMD2<Float>, offset: SIMD2<Float>) {
        let q = (block + 4).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            y[j] = Int8(bitPattern: q[j] & 0xF)
            y[j &+ 16] = Int8(bitPattern: q[j] >> 4)
        }
        return (SIMD2(repeating: loadHalf(block, 0)), SIMD2(repeating: loadHalf(block, 2)))
    }
}

extension Q5_0Decoder: IntegerPartDecoder {
    @inline(__always)
    static func decodeCodes(_ block: UnsafeRawPointer, _ part: Int, into y: UnsafeMutablePointer<Int8>)
        -> (scale: SIMD2<Float>, offset: SIMD2<Float>) {
        let qh = block.loadUnaligned(fromByteOffset: 2, as: UInt32.self)
        let q = (block + 6).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            let lo = UInt32(q[j] & 0xF) | ((qh >> UInt32(j)) & 1) << 4
            let hi = UInt32(q[j] >> 4) | ((qh >> UInt32(j &+ 16)) & 1) << 4
            y[j] = Int8(truncatingIfNeeded: lo) &- 16
            y[j &+ 16] = Int8(truncatingIfNeeded: hi) &- 16
        }
        return (SIMD2(repeating: loadHalf(block, 0)), .zero)
    }
}

extension Q5_1Decoder: IntegerPartDecoder {
    @inline(__always)
    static func decodeCodes(_ block: UnsafeRawPointer, _ part: Int, into y: UnsafeMutablePointer<Int8>)
        -> (scale: SIMD2<Float>, offset: SIMD2<Float>) {
        let qh = block.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
        let q = (block + 8).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            let lo = UInt32(q[j] & 0xF) | ((qh >> UInt32(j)) & 1) << 4
            let hi = UInt32(q[j] >> 4) | ((qh >> UInt32(j &+ 16)) & 1) << 4
            y[j] = Int8(truncatingIfNeeded: lo)
            y[j &+ 16] = Int8(truncatingIfNeeded: hi)
        }
        return (SIMD2(repeating: loadHalf(block, 0)), SIMD2(repeating: loadHalf(block, 2)))
    }
}

extension Q8_0Decoder: IntegerPartDecoder {
    @inline(__always)
    static func decodeCodes(_ block: UnsafeRawPointer, _ part: Int, into y: UnsafeMutablePointer<Int8>)
        -> (scale: SIMD2<Float>, offset: SIMD2<Float>) {
        y.update(from: (block + 2).assumingMemoryBound(to: Int8.self), count: 32)
        return (SIMD2(repeating: loadHalf(block, 0)), .zero)
    }
}

extension Q2_KDecoder: IntegerPartDecoder {
    @inline(__always)
    static func decodeCodes(_ block: UnsafeRawPointer, _ part: Int, into y: UnsafeMutablePointer<Int8>)
        -> (scale: SIMD2<Float>, offset: SIMD2<Float>) {
        let scales = block.assumingMemoryBound(to: UInt8.self)
        let d = loadHalf(block, 80), dmin = loadHalf(block, 82)
        let q = (block + (16 &+ 32 &* (part >> 2))).assumingMemoryBound(to: UInt8.self)
        let shift = UInt8(2 &* (part & 3))
        for l in 0..<32 { y[l] = Int8(bitPattern: (q[l] >> shift) & 3) }
        let s0 = scales[2 &* part], s1 = scales[2 &* part &+ 1]
        return (SIMD2(d * Float(s0 & 0xF), d * Float(s1 & 0xF)),
                SIMD2(-(dmin * Float(s0 >> 4)), -(dmin * Float(s1 >> 4))))
    }
}

extension Q3_KDecoder: IntegerPartDecoder {
    @inline(__always)
    static func decodeCodes(_ block: UnsafeRawPointer, _ part: Int, into y: UnsafeMutablePointer<Int8>)
        -> (scale: SIMD2<Float>, offset: SIMD2<Float>) {
        let hmask = block.assumingMemoryBound(to: UInt8.self)
        let scales = (block + 96).assumingMemoryBound(to: UInt8.self)
        let d = loadHalf(block, 108)
        let q = (block + (32 &+ 32 &* (part >> 2))).assumingMemoryBound(to: UInt8.self)
        let shift = UInt8(2 &* (part & 3))
        let bit = UInt8(1) << UInt8(part)
        for l in 0..<32 {
            let low = Int8(bitPattern: (q[l] >> shift) & 3)
            y[l] = hmask[l] & bit != 0 ? low : low &- 4
        }
        return (SIMD2(d * Float(scale(scales, 2 &* part)), d * Float(scale(scales, 2 &* part &+ 1))), .zero)
    }
}

extension Q4_KDecoder: IntegerPartDecoder {
    @inline(__always)
    static func decodeCodes(_ block: UnsafeRawPointer, _ part: Int, into y: UnsafeMutablePointer<Int8>)
        -> (scale: SIMD2<Float>, offset: SIMD2<Float>) {
        let d = loadHalf(block, 0), dmin = loadHalf(block, 2)
        let (scale, min) = scaleMinK4(part, (block + 4).assumingMemoryBound(to: UInt8.self))
        let q = (block + (16 &+ 32 &* (part >> 1))).assumingMemoryBound(to: UInt8.self)
        let shift = UInt8(4 &* (part & 1))
        for l in 0..<32 { y[l] = Int8(bitPattern: (q[l] >> shift) & 0xF) }
        return (SIMD2(repeating: d * scale), SIMD2(repeating: -(dmin * min)))
    }
}

extension Q5_KDecoder: IntegerPartDecoder {
    @inline(__always)
    static func decodeCodes(_ block: UnsafeRawPointer, _ part: Int, into y: UnsafeMutablePointer<Int8>)
        -> (scale: SIMD2<Float>, offset: SIMD2<Float>) {
        let d = loadHalf(block, 0), dmin = loadHalf(block, 2)
        let (scale, min) = scaleMinK4(part, (block + 4).assumingMemoryBound(to: UInt8.self))
        let qh = (block + 16).assumingMemoryBound(to: UInt8.self)
        let q = (block + (48 &+ 32 &* (part >> 1))).assumingMemoryBound(to: UInt8.self)
        let shift = UInt8(4 &* (part & 1)), bit = UInt8(part)
        for l in 0..<32 { y[l] = Int8(bitPattern: (q[l] >> shift) & 0xF | ((qh[l] >> bit) & 1) << 4) }
        return (SIMD2(repeating: d * scale), SIMD2(repeating: -(dmin * min)))
    }
}

extension Q6_KDecoder: IntegerPartDecoder {
    @inline(__always)
    static func decodeCodes(_ block: UnsafeRawPointer, _ part: Int, into y: UnsafeMutablePointer<Int8>)
        -> (scale: SIMD2<Float>, offset: SIMD2<Float>) {
        let d = loadHalf(block, 208)
        let half = part >> 2, k = part & 3
        let sc = (block + (192 &+ 8 &* half &+ 2 &* k)).assumingMemoryBound(to: Int8.self)
        let ql = (block + (64 &* half &+ 32 &* (k & 1))).assumingMemoryBound(to: UInt8.self)
        let qh = (block + (128 &+ 32 &* half)).assumingMemoryBound(to: UInt8.self)
        let lowShift = UInt8(4 &* (k >> 1)), highShift = UInt8(2 &* k)
        for l in 0..<32 {
            y[l] = Int8(bitPattern: (ql[l] >> lowShift) & 0xF | ((qh[l] >> highShift) & 3) << 4) &- 32
        }
        return (SIMD2(d * Float(sc[0]), d * Float(sc[1])), .zero)
    }
}
