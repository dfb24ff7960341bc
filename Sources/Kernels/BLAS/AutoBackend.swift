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
public struct AutoBackend: Backend {
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

    public func embedding(_ w: WeightMatrix, row: Int, into out: UnsafeMutableBufferPointer<Float>) {
        vectors.embedding(w, row: row, into: out)
    }

    public func rmsNorm(_ x: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>, epsilon: Float,
                        into out: UnsafeMutableBufferPointer<Float>) {
        vectors.rmsNorm(x, weight: weight, epsilon: epsilon, into: out)
    }

    public func rope(_ x: UnsafeMutableBufferPointer<Float>, heads: Int, headDim: Int, position: Int,
                     config: RoPEConfig) {
        vectors.rope(x, heads: heads, headDim: headDim, position: position, config: config)
    }

    public func softmax(_ x: UnsafeMutableBufferPointer<Float>, validCount: Int) { vectors.softmax(x, validCount: validCount) }

    public func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float { vectors.dot(a, b) }

    public func axpy(_ alpha: Float, _ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>) {
        vectors.axpy(alpha, x, y)
    }

    public func silu(_ x: UnsafeMutableBufferPointer<Float>) { vectors.silu(x) }

    public func gelu(_ x: UnsafeMutableBufferPointer<Float>) { vectors.gelu(x) }

    public func concurrentForEach(_ count: Int, _ body: (Int) -> Void) { vectors.concurrentForEach(count, body) }

    public func dots(_ q: UnsafeBufferPointer<Float>, keys: UnsafePointer<Float>, stride: Int,
                     into out: UnsafeMutableBufferPointer<Float>) {
        vectors.dots(q, keys: keys, stride: stride, into: out)
    }

    public func weightedSum(_ weights: UnsafeBufferPointer<Float>, values: UnsafePointer<Float>, stride: Int,
                            into out: UnsafeMutableBufferPointer<Float>) {
        vectors.weightedSum(weights, values: values, stride: stride, into: out)
    }

    public func add(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
                    into out: UnsafeMutableBufferPointer<Float>) {
        vectors.add(a, b, into: out)
    }

    public func mul(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
                    into out: UnsafeMutableBufferPointer<Float>) {
        vectors.mul(a, b, into: out)
    }
}
