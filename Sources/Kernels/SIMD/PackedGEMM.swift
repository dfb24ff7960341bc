import GGUF

// Matrix-matrix product Y = X·Wᵀ for a batch of activations, the way BLAS libraries do it, with
// the roles chosen so that quantized weights are decoded once and never transposed:
//
// - X is *packed* once per product into panels of 16 tokens, transposed so that for each k the
//   16 tokens' values sit side by side: panel p = [k][16] (`PackedActivations`).
// - W is decoded 48 rows at a time into a scratch, row after row as stored (`decodeRows`).
// - The micro-kernel keeps a tile of Y, 16 tokens × 6 weight rows, in 12 AVX2 registers while
//   k runs over the whole row: each loaded x vector serves 6 rows and each broadcast weight
//   16 tokens, so the loop is bound by multiply-adds, not by memory.
//
//      panel p (16 tokens)                 W rows j..<j+6 (decoded)      Y tile
//      k=0: x[t0,0] x[t0+1,0] … x[t0+15,0]   w[j+r,0] broadcast   ->   y[t0+a, j+r] += x[t0+a,k]·w[j+r,k]
//      k=1: x[t0,1] …
//
// Measured against the previous design (W rows decoded, then transposed into panels; 6 tokens ×
// 16 rows): the transposition of every weight cost about a third of the kernel's time.

/// Tokens per packed panel of X: two 8-float AVX2 registers.
let panelWidth = 16
/// W rows per micro-tile: 6 × 2 accumulator registers + 2 for x + 1 broadcast ≤ 16.
let microTileRows = 6
/// W rows decoded at once: 8 micro-tiles (110 KB of floats for 576 columns, L2-resident), so a
/// panel of X, once loaded, serves 48 rows.
let decodedRowCount = 8 * microTileRows

/// X transposed into panels of 16 tokens, the last one padded with zeros.
/// x: [count, columns]  -> panels: [⌈count/16⌉, columns, 16]
struct PackedActivations {
    let panels: UnsafePointer<Float>
    let count: Int
    let columns: Int

    /// Panels for `count` tokens.
    static func panelCount(_ count: Int) -> Int { (count + panelWidth - 1) / panelWidth }

    /// Floats of scratch for `count` tokens of `columns` activations.
    static func scratchCount(count: Int, columns: Int) -> Int { panelCount(count) * columns * panelWidth }

    /// Panel p: [columns, 16].
    func panel(_ p: Int) -> UnsafePointer<Float> { panels + p &* columns &* panelWidth }

    /// Writes panel p of x into `scratch` (at least `scratchCount(count:columns:)` floats).
    static func pack(_ x: UnsafePointer<Float>, count: Int, columns: Int, panel p: Int,
                     into scratch: UnsafeMutablePointer<Float>) {
        let out = scratch + p &* columns &* panelWidth
        let t0 = p &* panelWidth, tokens = min(panelWidth, count &- t0)
        if tokens < panelWidth { out.update(repeating: 0, count: columns &* panelWidth) }
        for t in 0..<tokens {
            let row = x + (t0 &+ t) &* columns
            for i in 0..<columns { out[i &* panelWidth &+ t] = row[i] }
        }
    }
}

/// Y[:, rows] for W rows `rows` (at most `decodedRowCount`), all tokens.
/// w: [rows, columns]  x: packed  -> y: [count, w.rows] (columns `rows` written)
func gemmRows(_ w: WeightMatrix, _ rows: Range<Int>, _ x: PackedActivations,
              _ y: UnsafeMutablePointer<Float>, decoded: UnsafeMutablePointer<Float>) {
    let k = w.columns
    decodeRows(w, rows, into: decoded)
    for p in 0..<PackedActivations.panelCount(x.count) {
        let t0 = p &* panelWidth, tokens = min(panelWidth, x.count &- t0)
        var r = 0
        while r < rows.count {
            microKernel16x6(x.panel(p), k, decoded + r &* k, rows: min(microTileRows, rows.count &- r),
                            y + (t0 &* w.rows &+ rows.lowerBound &+ r), ldy: w.rows, tokens: tokens)
            r &+= microTileRows
        }
    }
}

/// The register-blocked kernel: a [tokens ≤ 16, rows ≤ 6] tile of Y from a packed panel of X and
/// `rows` decoded W rows.
/// panel: [k, 16]  w: [rows, k]  -> y: [tokens, ldy] (first `rows` of each)
@inline(__always)
func microKernel16x6(_ panel: UnsafePointer<Float>, _ k: Int, _ w: UnsafePointer<Float>, rows: Int,
                     _ y: UnsafeMutablePointer<Float>, ldy: Int, tokens: Int) {
    // Missing rows of a short tile read row 0 again; their results are not stored.
    let w0 = w
    let w1 = rows > 1 ? w + k : w
    let w2 = rows > 2 ? w + 2 &* k : w
    let w3 = rows > 3 ? w + 3 &* k : w
    let w4 = rows > 4 ? w + 4 &* k : w
    let w5 = rows > 5 ? w + 5 &* k : w
    let p = UnsafeRawPointer(panel)
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>()
    var c3 = SIMD16<Float>(), c4 = SIMD16<Float>(), c5 = SIMD16<Float>()
    for i in 0..<k {
        let x = p.loadUnaligned(fromByteOffset: i &* 64, as: SIMD16<Float>.self)
        c0 = c0.addingProduct(x, SIMD16(repeating: w0[i]))
        c1 = c1.addingProduct(x, SIMD16(repeating: w1[i]))
        c2 = c2.addingProduct(x, SIMD16(repeating: w2[i]))
        c3 = c3.addingProduct(x, SIMD16(repeating: w3[i]))
        c4 = c4.addingProduct(x, SIMD16(repeating: w4[i]))
        c5 = c5.addingProduct(x, SIMD16(repeating: w5[i]))
    }
    // c_r[t] is y[t, r]: a column of the tile, stored with a stride of ldy.
    @inline(__always) func store(_ c: SIMD16<Float>, _ r: Int) {
        guard r < rows else { return }
        for t in 0..<tokens { y[t &* ldy &+ r] = c[t] }
    }
    store(c0, 0); store(c1, 1); store(c2, 2); store(c3, 3); store(c4, 4); store(c5, 5)
}
