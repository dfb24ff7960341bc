import Foundation
import GGUF

/// The fast CPU backend in pure Swift: SIMD vectors (`SIMD16<Float>` = two AVX2 registers, or
/// four NEON ones), several independent accumulators, and rows split over a persistent
/// `ThreadPool`.
///
/// - `matVec`: each thread takes chunks of rows; each row is a fused decode-and-dot over its
///   blocks (`dotRows`), so a Q4_1 matrix is read as 4.5-bit data and never expanded (Q4_0 and
///   Q4_1 two rows at a time, their nibbles masked in place and converted: `NibbleFloats.swift`).
/// - `matMul` with 4 or more tokens: a packed, register-blocked GEMM (`PackedGEMM.swift`): x is
///   packed once into panels of 16 tokens, weights are decoded 48 rows at a time, and tiles of
///   16 tokens × 6 rows stay in registers.
/// - element-wise operations: 16 floats per step on the calling thread (they are too small to
///   be worth waking the pool), except SiLU/GELU over a whole prompt.
///
/// With `activations: .int8` (the `simd-q8` variant) products with quantized weights first
/// round x to 8 bits per block of 16, as llama.cpp does (it uses 32 or 256), and multiply the
/// weights' integer codes with `vpmaddubsw` (`Int8Activations.swift`, `IntegerProducts.swift`);
/// several tokens are rounded first, then each row of weights is read once and multiplied with
/// every token, with the same arithmetic as for one token. Float weights keep the float paths.
///
/// `matVecs` is for rows that are independent sequences (the server's slots, one new token
/// each): every row gets exactly what `matVec` would give it alone, whatever the count.
public struct SIMDBackend: Backend {
    /// What the activations of a matrix-vector product are multiplied as.
    public enum Activations: Sendable {
        /// Floats: results equal to the naive backend's up to rounding order.
        case float
        /// Rounded to int8 per block of 16 (llama.cpp's approach): ~4e-3 relative error.
        case int8
    }

    public var name: String { activations == .float ? "simd" : "simd-q8" }
    /// The threads that run matrix products.
    public let pool: ThreadPool
    /// How activations enter quantized matrix-vector products.
    public let activations: Activations

    /// A backend using `pool`'s threads (share one pool between backends).
    public init(pool: ThreadPool, activations: Activations = .float) {
        self.pool = pool
        self.activations = activations
    }

    /// A backend with its own pool of `threads` threads (default: all cores).
    public init(threads: Int = ThreadPool.coreCount, activations: Activations = .float) {
        self.init(pool: ThreadPool(threads: threads), activations: activations)
    }

    /// Rows per chunk of work: at least ~32K weights, so that a chunk (≥ 10 µs) is much longer
    /// than handing it to a waiting thread (< 1 µs) — a 576×192 product is still split.
    static func minimumRows(columns: Int) -> Int { max(4, 32_768 / max(1, columns)) }

    /// Tokens from which `matMul` packs weights into a GEMM instead of doing one matVec per
    /// token: packing costs about one pass over the rows, repaid once a few tokens reuse it.
    static let gemmMinimumCount = 4

    /// Tokens from which int8 products go through the integer GEMM rather than row by row
    /// (`integerDotRows`: groups of 8, then 4, 2, 1 tokens), whose rows are decoded again for
    /// each group but which fill no panel with missing tokens. Measured with VNNI (16-token
    /// panels), SmolLM2 Q4_1 / Q8_0, `loupe bench -p N --backend simd-q8`: 4 tokens 570 / 661
    /// t/s row by row vs 295 / 309 with the GEMM, 8 tokens 647 / 751 vs 546 / 671, 12 tokens
    /// 694 / 742 vs 820 / 901. With the eight-token groups (seventh session) rows win up to 15
    /// tokens on Q4_1 (pp15 1189 vs 1062 t/s), tie on Q4_K_M and lose on Q8_0 (798 vs 1022):
    /// the GEMM stays from 12.
    static let integerGEMMMinimumCount = 12

    public func matVec(_ w: WeightMatrix, _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>) {
        checkShapes(w, x.count, y.count, count: 1)
        products(CollectionOfOne(w), x.baseAddress!, count: 1, y.baseAddress!)
    }

    public func matMul(_ w: WeightMatrix, _ x: UnsafeBufferPointer<Float>, count: Int,
                       into y: UnsafeMutableBufferPointer<Float>) {
        checkShapes(w, x.count, y.count, count: count)
        products(CollectionOfOne(w), x.baseAddress!, count: count, y.baseAddress!)
    }

    public func matMul(_ ws: [WeightMatrix], _ x: UnsafeBufferPointer<Float>, count: Int,
                       into y: UnsafeMutableBufferPointer<Float>) {
        checkShapes(ws, x.count, y.count, count: count)
        products(ws, x.baseAddress!, count: count, y.baseAddress!)
    }

    /// One matrix-vector product per row of X, each bit for bit what `matVec` gives that row
    /// alone (never the GEMM, whose float sums are ordered differently), with the weights still
    /// read once for all rows under `simd-q8`.
    /// W_i: [rows_i, columns]  X: [count, columns]  -> Y: [Σ_i count·rows_i]
    public func matVecs(_ ws: [WeightMatrix], _ x: UnsafeBufferPointer<Float>, count: Int,
                        into y: UnsafeMutableBufferPointer<Float>) {
        checkShapes(ws, x.count, y.count, count: count)
        let x = x.baseAddress!, y = y.baseAddress!
        if ws.allSatisfy(usesIntegerDots) { return integerProducts(ws, x, count: count, y) }
        var start = 0
        for w in ws {
            if usesIntegerDots(w) {
                integerProducts(CollectionOfOne(w), x, count: count, y + start)
            } else {
                floatMatVecs(w, x, count: count, y + start)
            }
            start += count * w.rows
        }
    }

    /// The integer products (`integerProducts`: the GEMM or the dots) give every token
    /// `integerDot`'s bits; the float GEMM does not.
    public func matMulIsPerToken(_ w: WeightMatrix) -> Bool { usesIntegerDots(w) }

    /// `matVec` of each of `count` tokens with float activations, each row's arithmetic
    /// `matVec`'s, and the weight read from memory once (the unembedding of the server's slots:
    /// 30 MB on SmolLM2): quantized rows decoded once per 8 or 4 tokens (`decodedDotRows`), other
    /// types by chunks of rows small enough to stay in cache while every token meets them.
    /// W: [rows, columns]  X: [count, columns]  -> Y: [count, rows]
    private func floatMatVecs(_ w: WeightMatrix, _ x: UnsafePointer<Float>, count: Int, _ y: UnsafeMutablePointer<Float>) {
        /// Each token's `RowInput`, made by nesting `withRowInput` once per token.
        func withInputs(_ t: Int, _ inputs: [RowInput], _ body: ([RowInput]) -> Void) {
            if t == count { return body(inputs) }
            withRowInput(w, x + t * w.columns) { withInputs(t + 1, inputs + [$0], body) }
        }
        let chunk = 64
        withInputs(0, []) { inputs in
            pool.parallelRanges(w.rows, minimumChunk: Self.minimumRows(columns: w.columns)) { rows in
                if decodedDotRows(w, rows, x, count: count, y) { return }
                for start in stride(from: rows.lowerBound, to: rows.upperBound, by: chunk) {
                    let part = start ..< min(start + chunk, rows.upperBound)
                    for t in 0..<count { dotRows(w, part, inputs[t], y + t * w.rows) }
                }
            }
        }
    }

    /// True when `simd-q8` rounds activations for this weight (quantized types only).
    private func usesIntegerDots(_ w: WeightMatrix) -> Bool {
        activations == .int8 && w.type.blockSize > 1 && !w.keepsFloatActivations
    }

    /// Y = [X·W_0ᵀ | X·W_1ᵀ | …] (one weight, or several sharing X), by the fastest path.
    /// W_i: [rows_i, columns]  X: [count, columns]  -> Y: [Σ_i count·rows_i]
    private func products<Ws: RandomAccessCollection<WeightMatrix>>(
        _ ws: Ws, _ x: UnsafePointer<Float>, count: Int, _ y: UnsafeMutablePointer<Float>
    ) {
        if ws.allSatisfy(usesIntegerDots) {
            // Every product sees 8-bit activations, as in llama.cpp; the weights are read once.
            integerProducts(ws, x, count: count, y)
        } else if count >= Self.gemmMinimumCount && !ws.contains(where: usesIntegerDots) {
            packedGEMM(ws, x, count: count, y)
        } else if ws.count == 1, let w = ws.first {
            // Few tokens: one fused matrix-vector product per token (packing would not pay).
            for t in 0..<count {
                withRowInput(w, x + t * w.columns) { input in
                    pool.parallelRanges(w.rows, minimumChunk: Self.minimumRows(columns: w.columns)) { rows in
                        dotRows(w, rows, input, y + t * w.rows)
                    }
                }
            }
        } else {
            // Mixed float and quantized weights under simd-q8, or the float matVec: one by one.
            var start = 0
            for w in ws {
                products(CollectionOfOne(w), x, count: count, y + start)
                start += count * w.rows
            }
        }
    }

    /// Products with int8 activations by the faster path for `count` tokens: both give every
    /// (row, token) `integerDot`'s bits, so a token's numbers do not depend on its batch.
    private func integerProducts<Ws: RandomAccessCollection<WeightMatrix>>(
        _ ws: Ws, _ x: UnsafePointer<Float>, count: Int, _ y: UnsafeMutablePointer<Float>
    ) {
        if count >= Self.integerGEMMMinimumCount {
            integerGEMM(ws, x, count: count, y)
        } else {
            integerMatVecs(ws, x, count: count, y)
        }
    }

    /// Every token's products with int8 activations: the `count` tokens rounded first, on the
    /// calling thread, then the rows of every weight over the pool in one loop, each row meeting
    /// every token while it is in cache (`integerDotRows`). Each (row, token) dot is the one a
    /// single token gets, so the results do not depend on `count`.
    /// W_i: [rows_i, columns]  X: [count, columns]  -> Y: [Σ_i count·rows_i]
    private func integerMatVecs<Ws: RandomAccessCollection<WeightMatrix>>(
        _ ws: Ws, _ x: UnsafePointer<Float>, count: Int, _ y: UnsafeMutablePointer<Float>
    ) {
        let columns = ws.first!.columns, bytes = Int8Activations.scratchBytes(columns)
        withUnsafeTemporaryAllocation(byteCount: count * bytes, alignment: 64) { scratch in
            withUnsafeTemporaryAllocation(of: Int8Activations.self, capacity: count) { xq in
                for t in 0..<count {
                    (xq.baseAddress! + t).initialize(to: Int8Activations(x + t * columns, columns,
                                                                         scratch: scratch.baseAddress! + t * bytes))
                }
                let rounded = UnsafeBufferPointer(xq)
                withEightTokenGroups(rounded, columns: columns) { eights in
                    pool.parallelRanges(ws.totalRows, minimumChunk: Self.minimumRows(columns: count * columns)) { rows in
                        ws.forEachPart(of: rows) { w, start, local in
                            integerDotRows(w, local, x, rounded, eights: eights, y + count * start)
                        }
                    }
                }
            }
        }
    }

    /// The integer GEMM (`IntegerGEMM.swift`): X rounded and packed once, its panels shared
    /// between threads; then the weights' codes 48 rows at a time, all weights in one loop.
    /// Each (row, token) gets `integerDot`'s bits.
    private func integerGEMM<Ws: RandomAccessCollection<WeightMatrix>>(
        _ ws: Ws, _ x: UnsafePointer<Float>, count: Int, _ y: UnsafeMutablePointer<Float>
    ) {
        let columns = ws.first!.columns
        let bytes = PackedInt8Activations.scratchBytes(count: count, columns: columns)
        withUnsafeTemporaryAllocation(byteCount: bytes, alignment: 64) { scratch in
            let packed = PackedInt8Activations(scratch: scratch.baseAddress!, count: count, columns: columns)
            pool.parallelFor(PackedInt8Activations.panelCount(count)) { p in
                withUnsafeTemporaryAllocation(byteCount: Int8Activations.scratchBytes(columns), alignment: 64) { rounding in
                    packed.pack(x, count: count, columns: columns, panel: p, rounding: rounding.baseAddress!)
                }
            }
            let floats = IntegerRows.scratchFloats(rows: decodedRowCount, columns: columns)
            pool.parallelRanges(ws.groupCount(size: decodedRowCount), minimumChunk: 1) { chunk in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: floats) { decoded in
                    ws.forEachGroup(chunk, size: decodedRowCount) { w, start, rows in
                        integerGEMMRows(w, rows, packed, count: count, y + count * start, scratch: decoded.baseAddress!)
                    }
                }
            }
        }
    }

    /// The packed GEMM: X packed once, its panels shared between threads; then the weights 48
    /// rows at a time, all weights' groups in one loop.
    private func packedGEMM<Ws: RandomAccessCollection<WeightMatrix>>(
        _ ws: Ws, _ x: UnsafePointer<Float>, count: Int, _ y: UnsafeMutablePointer<Float>
    ) {
        let columns = ws.first!.columns
        let scratchCount = PackedActivations.scratchCount(count: count, columns: columns)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: scratchCount) { packed in
            let panels = packed.baseAddress!
            pool.parallelFor(PackedActivations.panelCount(count)) { p in
                PackedActivations.pack(x, count: count, columns: columns, panel: p, into: panels)
            }
            let packedX = PackedActivations(panels: panels, count: count, columns: columns)
            pool.parallelRanges(ws.groupCount(size: decodedRowCount), minimumChunk: 1) { chunk in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: decodedRowCount * columns) { decoded in
                    ws.forEachGroup(chunk, size: decodedRowCount) { w, start, rows in
                        gemmRows(w, rows, packedX, y + count * start, decoded: decoded.baseAddress!)
                    }
                }
            }
        }
    }

    public func embedding(_ w: WeightMatrix, row: Int, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(row >= 0 && row < w.rows && out.count >= w.columns, "\(w.name): embedding row \(row) of \(w.rows)")
        precondition(w.type.isComputable, "\(w.name): type \(w.type) is not computable")
        decodeRows(w, row..<row + 1, into: out.baseAddress!)
    }

    public func rmsNorm(_ x: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>, epsilon: Float,
                        into out: UnsafeMutableBufferPointer<Float>) {
        let n = x.count
        let mean = Float(simdSumOfSquares(x.baseAddress!, n) / Double(n))
        simdScaleMul(x.baseAddress!, 1 / (mean + epsilon).squareRoot(), weight.baseAddress!, out.baseAddress!, n)
    }

    public func rope(_ x: UnsafeMutableBufferPointer<Float>, heads: Int, headDim: Int, position: Int,
                     config: RoPEConfig) {
        let half = config.dimensions / 2
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * max(1, half)) { angles in
            let c = angles.baseAddress!, s = c + half
            RoPETable.shared.angles(position: position, config: config, cos: c, sin: s)
            for h in 0..<heads {
                let head = x.baseAddress! + h * headDim
                switch config.style {
                case .normal:
                    for i in 0..<half {
                        let x0 = head[2 * i], x1 = head[2 * i + 1]
                        head[2 * i] = x0 * c[i] - x1 * s[i]
                        head[2 * i + 1] = x0 * s[i] + x1 * c[i]
                    }
                case .neox:
                    // Halves are contiguous: rotate 16 pairs per step.
                    let lo = head, hi = head + half
                    forEachChunk(half, { i in
                        let x0 = load16(lo, i), x1 = load16(hi, i), ci = load16(c, i), si = load16(s, i)
                        store16(x0 * ci - x1 * si, lo, i)
                        store16(x0 * si + x1 * ci, hi, i)
                    }, tail: { i in
                        let x0 = lo[i], x1 = hi[i]
                        lo[i] = x0 * c[i] - x1 * s[i]
                        hi[i] = x0 * s[i] + x1 * c[i]
                    })
                }
            }
        }
    }

    public func softmax(_ x: UnsafeMutableBufferPointer<Float>, validCount: Int) {
        let p = x.baseAddress!
        if validCount > 0 {
            let maxValue = simdMax(p, validCount)
            var sum: Double = 0
            @inline(__always) func scalar(_ i: Int) {
                p[i] = exp(p[i] - maxValue)
                sum += Double(p[i])
            }
            // e^(x − max) 16 at a time (`vectorExp`), scalar where a lane is below −87.
            forEachChunk(validCount, { i in
                if let e = vectorExp(load16(p, i) - SIMD16(repeating: maxValue)) {
                    store16(e, p, i)
                    sum += Double(horizontalSum(e))
                } else {
                    for j in i ..< i + 16 { scalar(j) }
                }
            }, tail: scalar)
            simdScale(p, Float(1 / sum), validCount)
        }
        if validCount < x.count { (p + validCount).update(repeating: 0, count: x.count - validCount) }
    }

    public func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
        simdDot(a.baseAddress!, b.baseAddress!, a.count)
    }

    public func axpy(_ alpha: Float, _ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>) {
        simdAxpy(alpha, x.baseAddress!, y.baseAddress!, x.count)
    }

    // SiLU and GELU are one exp per value, on the pool's threads for a whole prompt's MLP
    // (128 tokens × 1536 values). Both are `vectorExp` (GELU-tanh as x·σ(2u): see `simdGELU`).
    public func silu(_ x: UnsafeMutableBufferPointer<Float>) {
        forEachPiece(of: x) { simdSiLU($0.baseAddress!, $0.count) }
    }

    public func gelu(_ x: UnsafeMutableBufferPointer<Float>) {
        forEachPiece(of: x) { simdGELU($0.baseAddress!, $0.count) }
    }

    /// Values from which an element-wise function is worth sharing between threads.
    static let parallelElementCount = 16_384

    /// Applies `f` to pieces of x, on the pool when x is long. Pieces are whole runs of 16
    /// values from the start of x: `simdSiLU` takes the scalar path for a whole run of 16 when
    /// one value needs it, so a value must meet the same 15 neighbours however x is cut (the
    /// rows of a batch then give what each row gives alone, when a row is whole runs of 16).
    private func forEachPiece(of x: UnsafeMutableBufferPointer<Float>, _ f: (UnsafeMutableBufferPointer<Float>) -> Void) {
        guard x.count >= Self.parallelElementCount else { return f(x) }
        pool.parallelRanges((x.count + 15) / 16, minimumChunk: Self.parallelElementCount / 64) { runs in
            f(UnsafeMutableBufferPointer(rebasing: x[runs.lowerBound * 16 ..< min(x.count, runs.upperBound * 16)]))
        }
    }

    public func concurrentForEach(_ count: Int, _ body: (Int) -> Void) {
        pool.parallelFor(count, body)
    }

    // The attention loops: one call per head and query instead of one (dynamically dispatched)
    // call per key, each blocked for registers (`AttentionRows.swift`).
    public func dots(_ q: UnsafeBufferPointer<Float>, keys: UnsafePointer<Float>, stride: Int,
                     into out: UnsafeMutableBufferPointer<Float>) {
        simdDots(q.baseAddress!, q.count, keys: keys, stride: stride, out.baseAddress!, count: out.count)
    }

    public func weightedSum(_ weights: UnsafeBufferPointer<Float>, values: UnsafePointer<Float>, stride: Int,
                            into out: UnsafeMutableBufferPointer<Float>) {
        simdWeightedSum(weights.baseAddress!, count: weights.count, values: values, stride: stride,
                        out.baseAddress!, out.count)
    }

    public func add(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
                    into out: UnsafeMutableBufferPointer<Float>) {
        simdAdd(a.baseAddress!, b.baseAddress!, out.baseAddress!, a.count)
    }

    public func mul(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
                    into out: UnsafeMutableBufferPointer<Float>) {
        simdMul(a.baseAddress!, b.baseAddress!, out.baseAddress!, a.count)
    }
}

/// Checks a product's buffers before any pointer is touched.
func checkShapes(_ w: WeightMatrix, _ xCount: Int, _ yCount: Int, count: Int) {
    precondition(w.type.isComputable, "\(w.name): type \(w.type) is not computable")
    precondition(xCount >= count * w.columns, "\(w.name): x has \(xCount) floats, needs \(count) × \(w.columns)")
    precondition(yCount >= count * w.rows, "\(w.name): y has \(yCount) floats, needs \(count) × \(w.rows)")
}

/// Checks the buffers of products sharing x: the same columns, and room for every output.
func checkShapes(_ ws: [WeightMatrix], _ xCount: Int, _ yCount: Int, count: Int) {
    precondition(!ws.isEmpty, "no weights")
    for w in ws {
        precondition(w.type.isComputable, "\(w.name): type \(w.type) is not computable")
        precondition(w.columns == ws[0].columns, "\(w.name): \(w.columns) columns, \(ws[0].name) has \(ws[0].columns)")
    }
    precondition(xCount >= count * ws[0].columns, "\(ws[0].name): x has \(xCount) floats, needs \(count) × \(ws[0].columns)")
    precondition(yCount >= count * ws.totalRows, "y has \(yCount) floats, needs \(count) × \(ws.totalRows)")
}
