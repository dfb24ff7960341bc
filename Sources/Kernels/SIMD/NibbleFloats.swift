// 4-bit weights (Q4_0, Q4_1) multiplied as floats, two rows at a time, without moving the nibbles.
//
// The usual way to multiply a nibble by a float is to shift it to the bottom of a 32-bit lane,
// mask it and convert it. Here it is not moved: a lane of 32 bits holds 8 nibbles, and nibble k
// (bits 4k…4k+3) is isolated in place with one `and`; converted, it is the exact integer n·2^(4k).
// The 2^(4k) is paid for on the other side, once per product: x is stored multiplied by 2^(−4k)
// (exact, a power of two), so that each product is n·x as in the naive kernel:
//
//     float(lane & 0xF << 4k) · (x · 2^(−4k))  =  n · x
//
// The top nibble (k = 7) would set the sign bit, so it is brought down with one shift instead.
// That is one `and` and one conversion per 8 weights; moving each nibble down first costs a
// shift more, and it is the shifts that limit the speed. The offset term is added once per block:
//
//     Σ (d·n + m)·x  =  d · Σ n·x  +  m · Σ x
//
// (Q4_0 is the case m = −8d.) The lanes keep the nibbles in the order they are stored in, so x
// is reordered once per product to match (`NibbleOrderedActivations`), and duplicated so that
// one 8-lane vector serves two weight rows: lanes 0…3 for one row, 4…7 for the next. The scales
// and offsets of both rows are converted from 16 bits together, as one vector (d0, m0, d1, m1).
// Measured in a stand-alone micro-benchmark of the kernel, 1536×576 Q4_1, one thread: 62 µs,
// against 80 µs for the same loop building the floats from the bits 0x3F80_0000 | n << 19
// (1 + n/16: a shift, an `and` and an `or` per 8 weights); widen-and-convert took 96 µs in an
// earlier micro-benchmark of the same product.

/// x reordered for `nibbleDotPair`, once per matrix-vector product, and its sum per block of 32.
///
/// A block's 16 bytes are read as 4 lanes of 32 bits; lane l, nibble k (bits 4k…4k+3) is weight
/// `4l + k/2` (low nibble of a byte) or `4l + k/2 + 16` (high nibble). For each block and each k,
/// `ordered` holds the 4 matching x values, times 2^(−4k) (k < 7) to undo the place of the
/// nibble, twice (for two rows): 8 vectors of 8 floats per block. `sums` holds (0, Σx, 0, Σx) per
/// block, to be multiplied by the two rows' (d, m, d, m).
/// x: [columns]  -> ordered: [columns/32, 8, 2, 4]  sums: [columns/32, 4]
struct NibbleOrderedActivations {
    let ordered: UnsafePointer<Float>
    let sums: UnsafePointer<Float>

    /// Floats of scratch for `columns` activations (columns a multiple of 32).
    static func scratchCount(columns: Int) -> Int { 2 * columns + columns / 8 }

    /// Reorders x[0..<columns] into `scratch` (at least `scratchCount(columns:)` floats).
    init(_ x: UnsafePointer<Float>, columns: Int, scratch: UnsafeMutablePointer<Float>) {
        let blocks = columns / 32
        let out = scratch, sums = scratch + 2 * columns
        for b in 0..<blocks {
            let xb = x + 32 &* b, ob = out + 64 &* b
            for k in 0..<8 {
                let place: Float = k == 7 ? 1 : Float(sign: .plus, exponent: -4 * k, significand: 1)
                for l in 0..<4 {
                    let weight = 4 &* l &+ k >> 1 &+ 16 &* (k & 1)
                    ob[8 &* k &+ l] = xb[weight] * place
                    ob[8 &* k &+ 4 &+ l] = xb[weight] * place
                }
            }
            let s = blockSum(x, b), sb = sums + 4 &* b
            sb[0] = 0; sb[1] = s; sb[2] = 0; sb[3] = s
        }
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
    /// (d0, m0, d1, m1): scale and offset of two blocks.
    static func scalesAndOffsets(_ block0: UnsafeRawPointer, _ block1: UnsafeRawPointer) -> SIMD4<Float>
}

/// Q4_0: | d: f16 | 16 bytes |  w = d·(n − 8) = d·n − 8d
enum Q4_0Nibbles: NibbleBlock {
    static var bytes: Int { 18 }
    static var nibbleOffset: Int { 2 }
    @inline(__always)
    static func scalesAndOffsets(_ block0: UnsafeRawPointer, _ block1: UnsafeRawPointer) -> SIMD4<Float> {
        let d0 = loadHalf(block0, 0), d1 = loadHalf(block1, 0)
        return SIMD4(d0, d0, d1, d1) * SIMD4(1, -8, 1, -8)
    }
}

/// Q4_1: | d: f16 | m: f16 | 16 bytes |  w = d·n + m
enum Q4_1Nibbles: NibbleBlock {
    static var bytes: Int { 20 }
    static var nibbleOffset: Int { 4 }
    @inline(__always)
    static func scalesAndOffsets(_ block0: UnsafeRawPointer, _ block1: UnsafeRawPointer) -> SIMD4<Float> {
        // Both blocks' (d, m) in one vector of four halves, converted together.
        let halves = SIMD2(block0.loadUnaligned(as: UInt32.self), block1.loadUnaligned(as: UInt32.self))
        return SIMD4<Float>(unsafeBitCast(halves, to: SIMD4<Float16>.self))
    }
}

/// n·2^(4k) in every lane, for the nibble n at bits 4k…4k+3 of each 32-bit lane (n for k = 7).
@inline(__always)
func nibbleInPlace(_ lanes: SIMD8<UInt32>, _ k: Int) -> SIMD8<Float> {
    let n = k == 7 ? lanes &>> 28 : lanes & (0xF &<< UInt32(4 &* k))
    return SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: n))
}

/// (row0·x, row1·x) for two rows of `blocks` nibble blocks, row1 `stride` bytes after row0
/// (stride 0 gives the same row twice).
/// row0, row1: [blocks × B.bytes]  x: reordered by `NibbleOrderedActivations`
@inline(__always)
func nibbleDotPair<B: NibbleBlock>(_: B.Type, _ row0: UnsafeRawPointer, stride: Int,
                                   _ x: NibbleOrderedActivations, blocks: Int) -> SIMD2<Float> {
    let px = UnsafeRawPointer(x.ordered), psums = UnsafeRawPointer(x.sums)
    // Alternate accumulators so consecutive blocks do not wait for each other.
    var even = SIMD8<Float>(), odd = SIMD8<Float>()
    var offsets = SIMD4<Float>()   // (·, m0·Σx, ·, m1·Σx) summed over blocks
    for b in 0..<blocks {
        let block0 = row0 + b &* B.bytes, block1 = block0 + stride
        let lanes = SIMD8(lowHalf: block0.loadUnaligned(fromByteOffset: B.nibbleOffset, as: SIMD4<UInt32>.self),
                          highHalf: block1.loadUnaligned(fromByteOffset: B.nibbleOffset, as: SIMD4<UInt32>.self))
        let o = b &* 256
        @inline(__always) func xs(_ k: Int) -> SIMD8<Float> {
            px.loadUnaligned(fromByteOffset: o &+ 32 &* k, as: SIMD8<Float>.self)
        }
        // Σ n·x over the block, in two chains.
        var p = nibbleInPlace(lanes, 0) * xs(0), q = nibbleInPlace(lanes, 1) * xs(1)
        p = p.addingProduct(nibbleInPlace(lanes, 2), xs(2)); q = q.addingProduct(nibbleInPlace(lanes, 3), xs(3))
        p = p.addingProduct(nibbleInPlace(lanes, 4), xs(4)); q = q.addingProduct(nibbleInPlace(lanes, 5), xs(5))
        p = p.addingProduct(nibbleInPlace(lanes, 6), xs(6)); q = q.addingProduct(nibbleInPlace(lanes, 7), xs(7))
        let dm = B.scalesAndOffsets(block0, block1)
        let scale = SIMD8(dm[0], dm[0], dm[0], dm[0], dm[2], dm[2], dm[2], dm[2])
        if b & 1 == 0 { even = even.addingProduct(scale, p + q) } else { odd = odd.addingProduct(scale, p + q) }
        offsets = offsets.addingProduct(dm, psums.loadUnaligned(fromByteOffset: b &* 16, as: SIMD4<Float>.self))
    }
    let sum = even + odd
    return SIMD2(sum.lowHalf.sum() + offsets[1], sum.highHalf.sum() + offsets[3])
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
