import GGUF

// How ggml multiplies a K-type weight row by a vector: it first quantizes the vector to Q8_K
// (`quantizeRow(type: .q8_K, ...)`), then works in integers within each block of 256 and
// applies the float scales once per block. This is ggml's portable reference
// (`ggml_vec_dot_qN_K_q8_K_generic` in ggml-cpu/quants.c), kept operation for operation,
// including its 8 float accumulators. Written with C's plain semantics (no fused multiply-add),
// it agrees with ggml's build to an ulp or two: GCC fuses some of these multiply-adds
// (-ffp-contract=fast), and which ones depends on the function (in llama.cpp 0c1e570's x86 build:
// Q2_K, Q4_K and Q5_K, not Q3_K and Q6_K).
//
// `dotRow` (floats, no activation quantization) is Loupe's reference; this one exists to show,
// and to measure, what llama.cpp's 8-bit activations cost.

/// Dot product of one row of a K type (Q2_K…Q6_K, `count` weights) with activations already
/// quantized to Q8_K (`count / 256` blocks), as ggml computes it.
public func dotRowQ8K(_ type: GGMLType, _ row: UnsafeRawPointer, _ activations: UnsafeRawPointer, count: Int) -> Float {
    precondition(count % 256 == 0, "\(count) weights is not whole \(type) blocks")
    switch type {
    case .q2_K: return dotQ2KQ8K(row, activations, blocks: count / 256)
    case .q3_K: return dotLanesQ8K(BlockQ3_K.self, row, activations, blocks: count / 256)
    case .q4_K: return dotLanesQ8K(BlockQ4_K.self, row, activations, blocks: count / 256)
    case .q5_K: return dotLanesQ8K(BlockQ5_K.self, row, activations, blocks: count / 256)
    case .q6_K: return dotLanesQ8K(BlockQ6_K.self, row, activations, blocks: count / 256)
    default: preconditionFailure("dotRowQ8K takes Q2_K…Q6_K weights, not \(type)")
    }
}

/// A K-type block seen as integers: weight[i] = d · scale[i/16] · q[i] − dmin · min[i/16].
protocol IntegerKBlock: QuantizedBlock {
    /// Whether weights have a per-group min (subtracted through Q8_K's `bsums`).
    static var hasMins: Bool { get }
    /// Writes the 256 integer quants (offsets applied, so Q3_K and Q6_K are signed), the 16
    /// scales and 16 mins per group of 16 weights (a group of 32 repeats its scale twice;
    /// formats without mins write 0), and returns (d, dmin).
    func integers(q: UnsafeMutablePointer<Int32>, scales: UnsafeMutablePointer<Int32>,
                  mins: UnsafeMutablePointer<Int32>) -> (d: Float, dmin: Float)
}

extension BlockQ2_K: IntegerKBlock {
    static var hasMins: Bool { true }

    func integers(q: UnsafeMutablePointer<Int32>, scales: UnsafeMutablePointer<Int32>,
                  mins: UnsafeMutablePointer<Int32>) -> (d: Float, dmin: Float) {
        withBytes(self.scales) { sc in
            for g in 0..<16 { scales[g] = Int32(sc[g] & 0x0F); mins[g] = Int32(sc[g] >> 4) }
        }
        withBytes(qs) { qs in
            for i in 0..<256 { q[i] = Int32((qs[32 * (i / 128) + i % 32] >> ((i % 128) / 32 * 2)) & 3) }
        }
        return (floatFromHalf(d), floatFromHalf(dmin))
    }
}

extension BlockQ3_K: IntegerKBlock {
    static var hasMins: Bool { false }

    func integers(q: UnsafeMutablePointer<Int32>, scales: UnsafeMutablePointer<Int32>,
                  mins: UnsafeMutablePointer<Int32>) -> (d: Float, dmin: Float) {
        withBytes(self.scales) { sc in
            for g in 0..<16 { scales[g] = Int32(Self.scale(g, sc) - 32); mins[g] = 0 }
        }
        withBytes(hmask) { hmask in
            withBytes(qs) { qs in
                for i in 0..<256 {
                    let low = Int32((qs[32 * (i / 128) + i % 32] >> ((i % 128) / 32 * 2)) & 3)
                    q[i] = low - (hmask[i % 32] & (1 << (i / 32)) != 0 ? 0 : 4)
                }
            }
        }
        return (floatFromHalf(d), 0)
    }
}

extension BlockQ4_K: IntegerKBlock {
    static var hasMins: Bool { true }

    func integers(q: UnsafeMutablePointer<Int32>, scales: UnsafeMutablePointer<Int32>,
                  mins: UnsafeMutablePointer<Int32>) -> (d: Float, dmin: Float) {
        withBytes(self.scales) { sc in
            for g in 0..<8 {
                let (s, m) = scaleAndMin(g, sc)
                scales[2 * g] = Int32(s); scales[2 * g + 1] = Int32(s)
                mins[2 * g] = Int32(m); mins[2 * g + 1] = Int32(m)
            }
        }
        withBytes(qs) { qs in
            for i in 0..<256 { q[i] = Int32((qs[32 * (i / 64) + i % 32] >> (4 * ((i / 32) % 2))) & 0x0F) }
        }
        return (floatFromHalf(d), floatFromHalf(dmin))
    }
}

extension BlockQ5_K: IntegerKBlock {
    static var hasMins: Bool { true }

    func integers(q: UnsafeMutablePointer<Int32>, scales: UnsafeMutablePointer<Int32>,
                  mins: UnsafeMutablePointer<Int32>) -> (d: Float, dmin: Float) {
        withBytes(self.scales) { sc in
            for g in 0..<8 {
                let (s, m) = scaleAndMin(g, sc)
                scales[2 * g] = Int32(s); scales[2 * g + 1] = Int32(s)
                mins[2 * g] = Int32(m); mins[2 * g + 1] = Int32(m)
            }
        }
        withBytes(qh) { qh in
            withBytes(qs) { qs in
                for i in 0..<256 {
                    let low = Int32((qs[32 * (i / 64) + i % 32] >> (4 * ((i / 32) % 2))) & 0x0F)
                    q[i] = low + (qh[i % 32] & (1 << (i / 32)) != 0 ? 16 : 0)
                }
            }
        }
        return (floatFromHalf(d), floatFromHalf(dmin))
    }
}

extension BlockQ6_K: IntegerKBlock {
    static var hasMins: Bool { false }

    func integers(q: UnsafeMutablePointer<Int32>, scales: UnsafeMutablePointer<Int32>,
                  mins: UnsafeMutablePointer<Int32>) -> (d: Float, dmin: Float) {
        withBytes(self.scales) { sc in
            for g in 0..<16 { scales[g] = Int32(Int8(bitPattern: sc[g])); mins[g] = 0 }
        }
        withBytes(ql) { ql in
            withBytes(qh) { qh in
                for i in 0..<256 {
                    let h = i / 128, quarter = (i % 128) / 32, l = i % 32
                    let low = (ql[64 * h + 32 * (quarter % 2) + l] >> (4 * (quarter / 2))) & 0x0F
                    let high = (qh[32 * h + l] >> (2 * quarter)) & 3
                    q[i] = Int32(low | high << 4) - 32
                }
            }
        }
        return (floatFromHalf(d), 0)
    }
}

/// Integer scratch for one block: quants, per-16 scales and mins.
@inline(__always)
func withIntegerScratch<R>(_ body: (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>) -> R) -> R {
    withUnsafeTemporaryAllocation(of: Int32.self, capacity: 256 + 32) { scratch in
        let base = scratch.baseAddress!
        return body(base, base + 256, base + 272)
    }
}

/// Q8_K's per-16 sums of its quants.
@inline(__always)
func bsum(_ y: BlockQ8_K, _ g: Int) -> Int32 {
    withBytes(y.bsums) { Int32($0.loadUnaligned(fromByteOffset: 2 * g, as: Int16.self)) }
}

/// ggml_vec_dot_q2_K_q8_K_generic: one float sum, updated once per block.
func dotQ2KQ8K(_ row: UnsafeRawPointer, _ activations: UnsafeRawPointer, blocks: Int) -> Float {
    withIntegerScratch { q, scales, mins in
        var sum: Float = 0
        for b in 0..<blocks {
            let x = BlockQ2_K.load(row, block: b), y = BlockQ8_K.load(activations, block: b)
            let (d, dmin) = x.integers(q: q, scales: scales, mins: mins)
            var minSum: Int32 = 0
            for g in 0..<16 { minSum += bsum(y, g) * mins[g] }
            var isum: Int32 = 0
            withBytes(y.qs) { q8 in
                for g in 0..<16 {
                    var groupSum: Int32 = 0
                    for i in 16 * g ..< 16 * g + 16 { groupSum += Int32(Int8(bitPattern: q8[i])) * q[i] }
                    isum += scales[g] * groupSum
                }
            }
            sum += y.d * d * Float(isum) - y.d * dmin * Float(minSum)
        }
        return sum
    }
}

/// ggml_vec_dot_q{3,4,5,6}_K_q8_K_generic: integer sums in 8 lanes (element i goes to lane
/// i mod 8), scaled into 8 float accumulators per block; the mins are subtracted from a
/// separate sum, to which the 8 accumulators are added at the end.
func dotLanesQ8K<B: IntegerKBlock>(_: B.Type, _ row: UnsafeRawPointer, _ activations: UnsafeRawPointer,
                                   blocks: Int) -> Float {
    withIntegerScratch { q, scales, mins in
        var lanes: (Float, Float, Float, Float, Float, Float, Float, Float) = (0, 0, 0, 0, 0, 0, 0, 0)
        var sum: Float = 0
        withUnsafeMutableBytes(of: &lanes) { laneBytes in
            let sums = laneBytes.bindMemory(to: Float.self)
            for b in 0..<blocks {
                let x = B.load(row, block: b), y = BlockQ8_K.load(activations, block: b)
                let (dx, dminx) = x.integers(q: q, scales: scales, mins: mins)
                var integerLanes: (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32) = (0, 0, 0, 0, 0, 0, 0, 0)
                withUnsafeMutableBytes(of: &integerLanes) { raw in
                    let aux32 = raw.bindMemory(to: Int32.self)
                    withBytes(y.qs) { q8 in
                        for i in 0..<256 {
                            aux32[i % 8] += scales[i / 16] * (Int32(Int8(bitPattern: q8[i])) * q[i])
                        }
                    }
                    let d = dx * y.d
                    for l in 0..<8 { sums[l] += d * Float(aux32[l]) }
                }
                if B.hasMins {
                    var minSum: Int32 = 0
                    for g in 0..<16 { minSum += bsum(y, g) * mins[g] }
                    sum -= dminx * y.d * Float(minSum)
                }
            }
            for l in 0..<8 { sum += sums[l] }
        }
        return sum
    }
}
