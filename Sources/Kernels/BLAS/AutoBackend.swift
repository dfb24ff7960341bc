import GGUF

/// `auto`: each matrix product goes to whichever path is faster for its shape (measured with
/// `loupe-benchmarks kernels` and `loupe bench`):
///
/// - one to three tokens (generation): the SIMD backend with activations rounded to 8 bits
///   (`simd-q8`), as llama.cpp does: integer dot products straight on the weights' codes, 1.2–2.3×
///   faster than float activations, with llama.cpp's accuracy (a few 1e-3 relative);
/// - batches of 4 or more tokens (prompts): BLAS's sgemm on decoded tiles, where decoding a tile
///   is shared by every token; the SIMD packed GEMM when BLAS is absent. Float activations.
///
/// Everything else (norms, RoPE, softmax…) is the SIMD backend's.
public struct AutoBackend: SIMDVectorOperations {
    public var name: String { "auto" }
    /// Products of one to three tokens.
    public let vectors: SIMDBackend
    /// Products of batches: BLAS when it could be loaded, else the float SIMD backend.
    public let batches: any Backend

    /// Tokens from which batches go to `batches`. Measured with `loupe bench -p N --backend blas,simd`
    /// (SmolLM2 Q4_1, 2 threads): at 4 tokens BLAS 32 t/s vs the SIMD GEMM 16, at 8 tokens 46 vs 28;
    /// at 2 tokens the fused dots win (29 vs 13). A 5-token prompt went from 0.28 s to 0.15 s.
    static let batchMinimumCount = 4

    /// The `auto` backend on `pool`'s threads, with BLAS for batches when it can be loaded.
    public init(pool: ThreadPool) {
        vectors = SIMDBackend(pool: pool, activations: .int8)
        batches = (try? BLASBackend(pool: pool)) ?? SIMDBackend(pool: pool)
    }

    public func matVec(_ w: WeightMatrix, _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>) {
        vectors.matVec(w, x, into: y)
    }

    public func matMul(_ w: WeightMatrix, _ x: UnsafeBufferPointer<Float>, count: Int,
                       into y: UnsafeMutableBufferPointer<Float>) {
        if count >= Self.batchMinimumCount {
            batches.matMul(w, x, count: count, into: y)
        } else {
            vectors.matMul(w, x, count: count, into: y)
        }
    }
}
