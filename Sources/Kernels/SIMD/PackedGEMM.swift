import GGUF

// Matrix-matrix product Y = X·Wᵀ for a batch of activations, the way BLAS libraries do it:
// a few W rows are decoded and *packed* so that, for each k, the 16 weights the micro-kernel
// needs sit side by side; then a 6×16 tile of Y is kept in 12 AVX2 registers while k runs over
// the whole row. Each loaded weight vector serves 6 activations and each broadcast activation
// 16 weights, so the loop is bound by FMAs, not by memory.
//
//      panel (packed W rows j0..<j0+16)      X rows i0..<i0+6          Y tile
//      k=0: w[j0,0]  w[j0+1,0] … w[j0+15,0]   x[i0,k] broadcast  ->   y[i0+a, j0+b] += x[i0+a,k]·w[j0+b,k]
//      k=1: w[j0,1]  …

/// W rows in one packed panel: two 8-float AVX2 registers.
let panelWidth = 16
/// X rows per micro-tile: 6 × 2 accumulator registers + 2 for weights + 1 broadcast ≤ 16.
let tileHeight = 6

/// Floats of scratch one panel needs: the decoded rows plus the packed panel.
func panelScratchCount(columns: Int) -> Int { 2 * panelWidth * columns }

/// Y[:, panel rows] for one panel of W rows `j0..<j0+nr` (nr ≤ 16).
/// w: [rows, columns]  x: [count, columns]  -> y: [count, w.rows] (columns j0..<j0+nr written)
func gemmPanel(_ w: WeightMatrix, rows j0: Int, _ nr: Int, _ x: UnsafePointer<Float>, count: Int,
               _ y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
    let k = w.columns
    let decoded = scratch, panel = scratch + panelWidth * k
    decodeRows(w, j0..<j0 + nr, into: decoded)
    pack(decoded, rows: nr, columns: k, into: panel)
    var i0 = 0
    while i0 < count {
        let mr = min(tileHeight, count - i0)
        microKernel6x16(panel, k, x + i0 * k, ldx: k, rows: mr, y + i0 * w.rows + j0, ldy: w.rows, columns: nr)
        i0 += tileHeight
    }
}

/// Transposes `rows` (≤ 16) decoded rows of `columns` floats into a panel [columns, 16],
/// zero-filling the lanes of missing rows.
/// decoded: [rows, columns]  -> panel: [columns, 16]
@inline(__always)
func pack(_ decoded: UnsafePointer<Float>, rows: Int, columns: Int, into panel: UnsafeMutablePointer<Float>) {
    if rows < panelWidth { panel.update(repeating: 0, count: panelWidth * columns) }
    for r in 0..<rows {
        let src = decoded + r &* columns
        for c in 0..<columns { panel[c &* panelWidth &+ r] = src[c] }
    }
}

/// The register-blocked kernel: a [rows ≤ 6, columns ≤ 16] tile of Y from a packed panel.
/// panel: [k, 16]  x: [rows, ldx]  -> y: [rows, ldy] (first `columns` of each row)
@inline(__always)
func microKernel6x16(_ panel: UnsafePointer<Float>, _ k: Int, _ x: UnsafePointer<Float>, ldx: Int, rows: Int,
                     _ y: UnsafeMutablePointer<Float>, ldy: Int, columns: Int) {
    // Missing rows of a short tile read row 0 again; their results are not stored.
    let x0 = x
    let x1 = rows > 1 ? x + ldx : x
    let x2 = rows > 2 ? x + 2 &* ldx : x
    let x3 = rows > 3 ? x + 3 &* ldx : x
    let x4 = rows > 4 ? x + 4 &* ldx : x
    let x5 = rows > 5 ? x + 5 &* ldx : x
    let p = UnsafeRawPointer(panel)
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>()
    var c3 = SIMD16<Float>(), c4 = SIMD16<Float>(), c5 = SIMD16<Float>()
    for i in 0..<k {
        let b = p.loadUnaligned(fromByteOffset: i &* 64, as: SIMD16<Float>.self)
        c0 = c0.addingProduct(SIMD16(repeating: x0[i]), b)
        c1 = c1.addingProduct(SIMD16(repeating: x1[i]), b)
        c2 = c2.addingProduct(SIMD16(repeating: x2[i]), b)
        c3 = c3.addingProduct(SIMD16(repeating: x3[i]), b)
        c4 = c4.addingProduct(SIMD16(repeating: x4[i]), b)
        c5 = c5.addingProduct(SIMD16(repeating: x5[i]), b)
    }
    @inline(__always) func store(_ c: SIMD16<Float>, _ r: Int) {
        guard r < rows else { return }
        let out = y + r &* ldy
        if columns == panelWidth {
            UnsafeMutableRawPointer(out).storeBytes(of: c, as: SIMD16<Float>.self)
        } else {
            for j in 0..<columns { out[j] = c[j] }
        }
    }
    store(c0, 0); store(c1, 1); store(c2, 2); store(c3, 3); store(c4, 4); store(c5, 5)
}
