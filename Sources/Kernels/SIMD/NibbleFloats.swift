// 4-bit weights (Q4_0, Q4_1) turned into floats with bit operations only, two rows at a time.
//
// The usual way to multiply a nibble by a float is to widen it to a 32-bit integer and convert
// it (`vpmovzxbd` + `vcvtdq2ps`): two vector operations per 8 weights before the multiply-add.
// Here the nibble is written straight into the bits of a float instead:
//
//     bits  0x3F80_0000 | n << 19   =   sign 0 | exponent of 1.0 | mantissa n000…0   =   1 + n/16
//
// exactly, for n in 0…15. A lane of 32 bits holds 8 nibbles; nibble k is moved into the top of
// the mantissa with one shift, isolated with one `and`, given the exponent with one `or`: three
// cheap integer operations, and no conversion. The "+1" is removed once per block, through the
// sum of x that the offset term of Q4_1 needs anyway:
//
//     Σ (d·n + m)·x  =  16d · Σ (1 + n/16)·x  +  (m − 16d) · Σ x
//
// (Q4_0 is the case m = −8d.) The lanes keep the nibbles in the order they are stored in, so x
// is reordered once per product to match (`NibbleOrderedActivations`), and duplicated so that
// one 8-lane vector serves two weight rows: lanes 0…3 for one row, 4…7 for the next.
// Measured in a stand-alone micro-benchmark of the kernel, 1536×576 Q4_1, one thread: 74 µs against
// 96 µs for widen-and-convert; in `loupe-benchmarks kernels`, 2 threads: 48 → 38 µs.

/// x reordered for `nibbleDotPair`, once per matrix-vector product, and its sum per block of 32.
///
/// A block's 16 bytes are read as 4 lanes of 32 bits; lane l, nibble k (bits 4k…4k+3) is weight
/// `4l + k/2` (low nibble of a byte) or `4l + k/2 + 16` (high nibble). For each block and each k,
/// `ordered` holds the 4 matching x values twice (for two rows): 8 vectors of 8 floats per block.
/// x: [columns]  -> ordered: [columns/32, 8, 2, 4]  sums: [columns/32]
struct NibbleOrderedActivations {
    let ordered: UnsafePointer<Float>
    let sums: UnsafePointer<Float>

    /// Floats of scratch for `columns` activations (columns a multiple of 32).
    static func scratchCount(columns: Int) -> Int { 2 * columns + columns / 32 }

    /// Reorders x[0..<columns] into `scratch` (at least `scratchCount(columns:)` floats).
    init(_ x: UnsafePointer<Float>, columns: Int, scratch: UnsafeMutablePointer<Float>) {
        let blocks = columns / 32
        let out = scratch, sums = scratch + 2 * columns
        for b in 0..<blocks {
            let xb = x + 32 &* b, ob = out + 64 &* b
            for k in 0..<8 {
                for l in 0..<4 {
                    let weight = 4 &* l &+ k >> 1 &+ 16 &* (k & 1)
                    ob[8 &* k &+ l] = xb[weight]
                    ob[8 &* k &+ 4 &+ l] = xb[weight]
                }
            }
        }
        blockSums(x, blocks: blocks, into: sums)
        ordered = UnsafePointer(out)
        self.sums = UnsafePointer(sums)
    }
}

/// A 32-weight block of 16 nibble bytes with one scale and one offset: weight = scale·n + offset.
protocol NibbleBlock {
    /// Bytes per block.
    static var bytes: Int { get }
    /// Where the 16 nibble bytes start.
    static var nibbleOffset: Int { get }
    /// The block's scale d and offset m.
    static func scaleAndOffset(_ block: UnsafeRawPointer) -> (d: Float, m: Float)
}

/// Q4_0: | d: f16 | 16 bytes |  w = d·(n − 8) = d·n − 8d
enum Q4_0Nibbles: NibbleBlock {
    static var bytes: Int { 18 }
    static var nibbleOffset: Int { 2 }
    @inline(__always)
    static func scaleAndOffset(_ block: UnsafeRawPointer) -> (d: Float, m: Float) {
        let d = loadHalf(block, 0)
        return (d, -8 * d)
    }
}

/// Q4_1: | d: f16 | m: f16 | 16 bytes |  w = d·n + m
enum Q4_1Nibbles: NibbleBlock {
    static var bytes: Int { 20 }
    static var nibbleOffset: Int { 4 }
    @inline(__always)
    static func scaleAndOffset(_ block: UnsafeRawPointer) -> (d: Float, m: Float) {
        (loadHalf(block, 0), loadHalf(block, 2))
    }
}

/// 1 + n/16 in every lane, for the nibble at bits 4k…4k+3 of each 32-bit lane.
@inline(__always)
func nibbleFloats(_ lanes: SIMD8<UInt32>, _ k: Int) -> SIMD8<Float> {
    // Bring bits 4k…4k+3 to 19…22, the top of the mantissa.
    let moved = k <= 4 ? lanes &<< UInt32(19 &- 4 &* k) : lanes &>> UInt32(4 &* k &- 19)
    return unsafeBitCast(moved & 0x0078_0000 | 0x3F80_0000, to: SIMD8<Float>.self)
}

/// (row0·x, row1·x) for two rows of `blocks` nibble blocks, row1 `stride` bytes after row0
/// (stride 0 gives the same row twice).
/// row0, row1: [blocks × B.bytes]  x: reordered by `NibbleOrderedActivations`
@inline(__always)
func nibbleDotPair<B: NibbleBlock>(_: B.Type, _ row0: UnsafeRawPointer, stride: Int,
                                   _ x: NibbleOrderedActivations, blocks: Int) -> SIMD2<Float> {
    let px = UnsafeRawPointer(x.ordered)
    // Alternate accumulators so consecutive blocks do not wait for each other.
    var even = SIMD8<Float>(), odd = SIMD8<Float>()
    var offsets = SIMD2<Float>()
    for b in 0..<blocks {
        let block0 = row0 + b &* B.bytes, block1 = block0 + stride
        let lanes = SIMD8(lowHalf: block0.loadUnaligned(fromByteOffset: B.nibbleOffset, as: SIMD4<UInt32>.self),
                          highHalf: block1.loadUnaligned(fromByteOffset: B.nibbleOffset, as: SIMD4<UInt32>.self))
        let o = b &* 256
        @inline(__always) func xs(_ k: Int) -> SIMD8<Float> {
            px.loadUnaligned(fromByteOffset: o &+ 32 &* k, as: SIMD8<Float>.self)
        }
        // Σ (1 + n/16)·x over the block, in two chains.
        var p = nibbleFloats(lanes, 0) * xs(0), q = nibbleFloats(lanes, 1) * xs(1)
        p = p.addingProduct(nibbleFloats(lanes, 2), xs(2)); q = q.addingProduct(nibbleFloats(lanes, 3), xs(3))
        p = p.addingProduct(nibbleFloats(lanes, 4), xs(4)); q = q.addingProduct(nibbleFloats(lanes, 5), xs(5))
        p = p.addingProduct(nibbleFloats(lanes, 6), xs(6)); q = q.addingProduct(nibbleFloats(lanes, 7), xs(7))
        let (d0, m0) = B.scaleAndOffset(block0), (d1, m1) = B.scaleAndOffset(block1)
        let scale = SIMD8(lowHalf: SIMD4(repeating: 16 * d0), highHalf: SIMD4(repeating: 16 * d1))
        if b & 1 == 0 { even = even.addingProduct(scale, p + q) } else { odd = odd.addingProduct(scale, p + q) }
        offsets = offsets.addingProduct(SIMD2(m0 - 16 * d0, m1 - 16 * d1), SIMD2(repeating: x.sums[b]))
    }
    let sum = even + odd
    return SIMD2(sum.lowHalf.sum(), sum.highHalf.sum()) + offsets
}

/// w.row(r)·x for r in `rows`, two rows per pass (the last one alone when `rows` is odd).
@inline(__always)
func nibbleDotRows<B: NibbleBlock>(_ b: B.Type, _ w: WeightMatrix, _ rows: Range<Int>,
                                   _ x: NibbleOrderedActivations, _ y: UnsafeMutablePointer<Float>) {
    let blocks = w.columns / 32
    var r = rows.lowerBound
    while r &+ 2 <= rows.upperBound {
        let pair = nibbleDotPair(b, w.row(r), stride: w.rowBytes, x, blocks: blocks)
        y[r] = pair[0]
        y[r &+ 1] = pair[1]
        r &+= 2
    }
    if r < rows.upperBound { y[r] = nibbleDotPair(b, w.row(r), stride: 0, x, blocks: blocks)[0] }
}
