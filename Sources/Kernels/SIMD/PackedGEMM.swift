import GGUF

// Matrix-matrix product Y = X·Wᵀ for a batch of activations, the way BLAS libraries do it, with
// the roles chosen so that quantized weights are decoded once and never transposed:
//
// - X is *packed* once per product into panels of P tokens (16, or 32 with AVX-512), transposed
//   so that for each k the P tokens' values sit side by side: panel p = [k][P] (`PackedActivations`).
// - W is decoded 48 rows at a time into a scratch, row after row as stored (`decodeRows`).
// - The micro-kernel keeps a tile of Y, P tokens × 6 weight rows, in 12 vector registers while
//   k runs over the whole row: each loaded x vector serves 6 rows and each broadcast weight
//   P tokens, so the loop is bound by multiply-adds, not by memory.
//
//      panel p (P tokens)                  W rows j..<j+6 (decoded)      Y tile
//      k=0: x[t0,0] x[t0+1,0] … x[t0+P-1,0]  w[j+r,0] broadcast   ->   y[t0+a, j+r] += x[t0+a,k]·w[j+r,k]
//      k=1: x[t0,1] …
//
// Measured against the previous design (W rows decoded, then transposed into panels; 6 tokens ×
// 16 rows): the transposition of every weight cost about a third of the kernel's time.

#if AVX512
/// A column of a panel: 32 tokens, two of AVX-512's 16-float registers, so that the 6 rows'
/// accumulators fill 12 of its 32 registers. With 16 tokens (one register per row) the 6
/// multiply-add chains were too few to hide the instruction's latency on both of Zen 5's FMA
/// units (Gemma 3 270M, pp128: see docs/speed.md). Two SIMD16 rather than one SIMD32, whose
/// `addingProduct` the compiler leaves as 32 scalar multiply-adds.
struct PanelColumn {
    var low = SIMD16<Float>(), high = SIMD16<Float>()
    static var scalarCount: Int { 32 }

    @inline(__always) init() {}
    @inline(__always) init(_ low: SIMD16<Float>, _ high: SIMD16<Float>) { self.low = low; self.high = high }

    /// The column at `offset` bytes from `p`.
    @inline(__always) static func load(_ p: UnsafeRawPointer, fromByteOffset offset: Int) -> PanelColumn {
        PanelColumn(p.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self),
                    p.loadUnaligned(fromByteOffset: offset &+ 64, as: SIMD16<Float>.self))
    }

    /// self + x · w in every lane.
    @inline(__always) func addingProduct(_ x: PanelColumn, _ w: Float) -> PanelColumn {
        PanelColumn(low.addingProduct(x.low, SIMD16(repeating: w)), high.addingProduct(x.high, SIMD16(repeating: w)))
    }
}
#else
/// A column of a panel: 16 tokens, two of AVX2's 8-float registers (12 accumulators in all).
typealias PanelColumn = SIMD16<Float>

extension SIMD16<Float> {
    /// The column at `offset` bytes from `p`.
    @inline(__always) static func load(_ p: UnsafeRawPointer, fromByteOffset offset: Int) -> Self {
        p.loadUnaligned(fromByteOffset: offset, as: Self.self)
    }

    /// self + x · w in every lane.
    @inline(__always) func addingProduct(_ x: Self, _ w: Float) -> Self { addingProduct(x, Self(repeating: w)) }
}
#endif

/// Tokens per packed panel of X.
let panelWidth = PanelColumn.scalarCount
/// W rows per micro-tile: 6 × 2 accumulator registers + 2 for x + 1 broadcast ≤ 16 (AVX2).
let microTileRows = 6
/// W rows decoded at once: 8 micro-tiles (110 KB of floats for 576 columns, L2-resident), so a
/// panel of X, once loaded, serves 48 rows.
let decodedRowCount = 8 * microTileRows

/// X transposed into panels of P = `panelWidth` tokens, the last one padded with zeros.
/// x: [count, columns]  -> panels: [⌈count/P⌉, columns, P]
struct PackedActivations {
    let panels: UnsafePointer<Float>
    let count: Int
    let columns: Int

    /// Panels for `count` tokens.
    static func panelCount(_ count: Int) -> Int { (count + panelWidth - 1) / panelWidth }

    /// Floats of scratch for `count` tokens of `columns` activations.
    static func scratchCount(count: Int, columns: Int) -> Int { panelCount(count) * columns * panelWidth }

    /// Panel p: [columns, P].
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
            microKernel(x.panel(p), k, decoded + r &* k, rows: min(microTileRows, rows.count &- r),
                            y + (t0 &* w.rows &+ rows.lowerBound &+ r), ldy: w.rows, tokens: tokens)
            r &+= microTileRows
        }
    }
}

/// The register-blocked kernel: a [tokens ≤ P, rows ≤ 6] tile of Y from a packed panel of X and
/// `rows` decoded W rows.
/// panel: [k, P]  w: [rows, k]  -> y: [tokens, ldy] (first `rows` of each)
@inline(__always)
func microKernel(_ panel: UnsafePointer<Float>, _ k: Int, _ w: UnsafePointer<Float>, rows: Int,
                     _ y: UnsafeMutablePointer<Float>, ldy: Int, tokens: Int) {
    // Missing rows of a short tile read row 0 again; their results are not stored.
    let w0 = w
    let w1 = rows > 1 ? w + k : w
    let w2 = rows > 2 ? w + 2 &* k : w
    let w3 = rows > 3 ? w + 3 &* k : w
    let w4 = rows > 4 ? w + 4 &* k : w
    let w5 = rows > 5 ? w + 5 &* k : w
    let p = UnsafeRawPointer(panel)
    var c0 = PanelColumn(), c1 = PanelColumn(), c2 = PanelColumn()
    var c3 = PanelColumn(), c4 = PanelColumn(), c5 = PanelColumn()
    for i in 0..<k {
        let x = PanelColumn.load(p, fromByteOffset: i &* panelWidth &* 4)
        c0 = c0.addingProduct(x, w0[i])
        c1 = c1.addingProduct(x, w1[i])
        c2 = c2.addingProduct(x, w2[i])
        c3 = c3.addingProduct(x, w3[i])
        c4 = c4.addingProduct(x, w4[i])
        c5 = c5.addingProduct(x, w5[i])
    }
    // c_r[t] is y[t, r]: a column of the tile. The columns go to a buffer on the stack with
    // whole-register stores, then each token's row of the tile to Y: taking lanes out of the
    // registers one by one (the first way) was 45 % of the kernel's time with AVX-512.
    withUnsafeTemporaryAllocation(of: PanelColumn.self, capacity: microTileRows) { columns in
        columns[0] = c0; columns[1] = c1; columns[2] = c2; columns[3] = c3; columns[4] = c4; columns[5] = c5
        let tile = UnsafeRawPointer(columns.baseAddress!).assumingMemoryBound(to: Float.self)   // [6, P]
        for t in 0..<tokens {
            for r in 0..<rows { y[t &* ldy &+ r] = tile[r &* panelWidth &+ t] }
        }
    }
}
