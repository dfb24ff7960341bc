import GGUF

/// `auto`: each matrix product goes to whichever path is faster for its shape (measured with
/// `loupe-benchmarks kernels` and `loupe bench`):
///
/// - one to three tokens (generation): the SIMD backend with activations rounded to 8 bits
///   (`simd-q8`), as llama.cpp does: integer dot products straight on the weights' codes, 1.2–2.3×
///   faster than float activations, with llama.cpp's accuracy (a few 1e-3 relative);
/// - batches of 4 or more tokens (prompts): the SIMD backend's packed GEMM, float activations.
///   It is faster than BLAS's sgemm on decoded tiles at every batch size measured (SmolLM2 Q4_1,
///   2 threads, `loupe bench -p N --backend blas,simd`: 4 tokens 136 vs 116 t/s, 16 tokens 477
///   vs 321, 128 tokens 571–576 vs 500–517): it decodes each weight once into the layout its
///   kernel reads, where sgemm packs the decoded tile again and clears its output first.
///
/// Batches of independent rows (`matVecs`: one new token of each of the server's slots) always
/// take the first path, whatever their count, so that a row's numbers do not depend on its batch.
///
/// Everything else (norms, RoPE, softmax…) is the SIMD backend's. `auto` needs no BLAS library.
public struct AutoBackend: SIMDVectorOperations {
    public var name: String { "auto" }
    /// Products of one to three tokens.
    public let vectors: SIMDBackend
    /// Products of batches.
    public let batches: SIMDBackend

    /// Tokens from which batches go to `batches`: at 2 tokens the fused integer dots win
    /// (measured before the GEMM was rewritten: 29 vs 13 t/s).
    public static let batchMinimumCount = 4

    /// The `auto` backend on `pool`'s threads.
    public init(pool: ThreadPool) {
        vectors = SIMDBackend(pool: pool, activations: .int8)
        batches = SIMDBackend(pool: pool)
    }

    public func matVec(_ w: WeightMatrix, _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>) {
        vectors.matVec(w, x, into: y)
    }

    public func matMul(_ ws: [WeightMatrix], _ x: UnsafeBufferPointer<Float>, count: Int,
                       into y: UnsafeMutableBufferPointer<Float>) {
        (count >= Self.batchMinimumCount ? batches : vectors).matMul(ws, x, count: count, into: y)
    }

    public func matMul(_ w: WeightMatrix, _ x: UnsafeBufferPointer<Float>, count: Int,
                       into y: UnsafeMutableBufferPointer<Float>) {
        (count >= Self.batchMinimumCount ? batches : vectors).matMul(w, x, count: count, into: y)
    }

    /// Independent rows (the server's slots) always take the one-token path, `simd-q8`, which
    /// reads the weights once for all of them: batch-invariant and faster than one by one.
    public func matVecs(_ ws: [WeightMatrix], _ x: UnsafeBufferPointer<Float>, count: Int,
                        into y: UnsafeMutableBufferPointer<Float>) {
        vectors.matVecs(ws, x, count: count, into: y)
    }
}
