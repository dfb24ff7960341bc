import GGUF

/// Matrix products by the system's BLAS (OpenBLAS, or Accelerate on Apple platforms): the
/// "use the library everyone uses" variant. BLAS only knows float matrices, so quantized
/// weights are decoded a tile of rows at a time (at most `maximumTileRows` rows, a few MB at most) into a
/// scratch that is reused, then multiplied with `sgemm`/`sgemv`; F32 weights go to BLAS as
/// they are. The whole matrix is never expanded.
///
/// Threads: tiles are spread over Loupe's `ThreadPool`, and the library itself is told to use
/// one thread, so its threads and Loupe's do not fight over the cores.
/// The element-wise operations are the SIMD backend's (`SIMDVectorOperations`): BLAS has no RMSNorm or softmax.
public struct BLASBackend: SIMDVectorOperations {
    public var name: String { "blas" }
    /// The threads that run tiles.
    public let pool: ThreadPool
    /// Runs everything but the matrix products.
    public let vectors: SIMDBackend

    /// Most rows decoded and multiplied at once. Bigger tiles mean fewer sgemm calls, each
    /// packing the activations once: measured A/B, Q8_0 pp128 520 → 531–545 t/s with 384 rows
    /// instead of 128 (a 384 × 1536 tile is 2.3 MB of floats, decoded once and read once).
    static let maximumTileRows = 384

    /// Rows per tile for a matrix of `rows` rows: at most `maximumTileRows`, and a whole number
    /// of tiles per thread, so that no thread waits for another's last tile (576 rows on 2
    /// threads: 2 tiles of 288; with 128-row tiles, 6 of 96 instead of 5 of 128 measured A/B
    /// Q8_0 pp128 443 → 471, 508 → 532 t/s).
    func tileRows(_ rows: Int) -> Int {
        let threads = pool.threadCount
        let fewest = (rows + Self.maximumTileRows - 1) / Self.maximumTileRows
        let tiles = (fewest + threads - 1) / threads * threads
        return (rows + tiles - 1) / tiles
    }

    /// The BLAS library in use (`libopenblas.so.0`, `Accelerate`).
    public static var libraryName: String? { CBLAS.isAvailable ? CBLAS.libraryName : nil }

    /// A BLAS backend on `pool`'s threads. Throws `BackendError.blasUnavailable` when no
    /// CBLAS library can be loaded.
    public init(pool: ThreadPool) throws {
        guard CBLAS.isAvailable else { throw BackendError.blasUnavailable(reason: CBLAS.loadError) }
        CBLAS.setThreads(1)
        self.pool = pool
        self.vectors = SIMDBackend(pool: pool)
    }

    /// A BLAS backend with its own pool of `threads` threads (default: all cores).
    public init(threads: Int = ThreadPool.coreCount) throws {
        try self.init(pool: ThreadPool(threads: threads))
    }

    public func matVec(_ w: WeightMatrix, _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>) {
        product(w, x, count: 1, into: y)
    }

    public func matMul(_ w: WeightMatrix, _ x: UnsafeBufferPointer<Float>, count: Int,
                       into y: UnsafeMutableBufferPointer<Float>) {
        product(w, x, count: count, into: y)
    }

    /// Y[:, tile] = X · tileᵀ for each tile of `tileRows(w.rows)` weight rows.
    /// w: [rows, columns]  x: [count, columns]  -> y: [count, rows]
    private func product(_ w: WeightMatrix, _ x: UnsafeBufferPointer<Float>, count: Int,
                         into y: UnsafeMutableBufferPointer<Float>) {
        checkShapes(w, x.count, y.count, count: count)
        let xs = x.baseAddress!, ys = y.baseAddress!, k = w.columns
        let tileRows = tileRows(w.rows)
        let tiles = (w.rows + tileRows - 1) / tileRows
        let minimumTiles = max(1, SIMDBackend.minimumRows(columns: k) / tileRows)
        pool.parallelRanges(tiles, minimumChunk: minimumTiles) { chunk in
            // F32 rows are already floats: no scratch, BLAS reads the weights in place.
            let scratchCount = w.type == .f32 ? 0 : tileRows * k
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, scratchCount)) { scratch in
                for t in chunk {
                    let j0 = t * tileRows, n = min(tileRows, w.rows - j0)
                    let tile: UnsafePointer<Float>
                    if w.type == .f32 {
                        tile = w.row(j0).assumingMemoryBound(to: Float.self)
                    } else {
                        decodeRows(w, j0..<j0 + n, into: scratch.baseAddress!)
                        tile = UnsafePointer(scratch.baseAddress!)
                    }
                    if count == 1 {
                        CBLAS.gemv(m: n, n: k, tile, lda: k, xs, ys + j0)
                    } else {
                        CBLAS.gemmABt(m: count, n: n, k: k, xs, lda: k, tile, ldb: k, ys + j0, ldc: w.rows)
                    }
                }
            }
        }
    }
}
