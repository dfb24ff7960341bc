import GGUF

/// `auto`: every matrix product with activations rounded to 8 bits (`simd-q8`), as llama.cpp
/// does, by the faster of its two paths for the shape (measured with `loupe bench`):
///
/// - fewer than 12 tokens (generation, short prompts, the server's slots): integer dot products
///   straight on the weights' codes, each row read once for all the tokens;
/// - 12 tokens or more (prompts): the integer GEMM (`IntegerGEMM.swift`), faster than the float
///   GEMM (SmolLM2 Q8_0 pp128 about 1200 → 2000 t/s on an AVX-512 VNNI machine).
///
/// Both give each (row, token) the same bits, on every CPU: a token's numbers do not depend on
/// its batch, and the lecture's transcripts are the same everywhere. The unembedding keeps float
/// activations (`WeightMatrix.keepsFloatActivations`). Everything else (norms, RoPE, softmax…)
/// is the SIMD backend's. `auto` needs no BLAS library.
public struct AutoBackend: SIMDVectorOperations {
    public var name: String { "auto" }
    /// The SIMD backend with 8-bit activations, which runs everything.
    public let vectors: SIMDBackend

    /// The `auto` backend on `pool`'s threads.
    public init(pool: ThreadPool) {
        vectors = SIMDBackend(pool: pool, activations: .int8)
    }

    public func matVec(_ w: WeightMatrix, _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>) {
        vectors.matVec(w, x, into: y)
    }

    public func matMul(_ ws: [WeightMatrix], _ x: UnsafeBufferPointer<Float>, count: Int,
                       into y: UnsafeMutableBufferPointer<Float>) {
        vectors.matMul(ws, x, count: count, into: y)
    }

    public func matMul(_ w: WeightMatrix, _ x: UnsafeBufferPointer<Float>, count: Int,
                       into y: UnsafeMutableBufferPointer<Float>) {
        vectors.matMul(w, x, count: count, into: y)
    }

    /// As simd-q8 says: true for the weights it multiplies with int8 activations.
    public func matMulIsPerToken(_ w: WeightMatrix) -> Bool { vectors.matMulIsPerToken(w) }

    /// Independent rows (the server's slots): each gets what it would get alone.
    public func matVecs(_ ws: [WeightMatrix], _ x: UnsafeBufferPointer<Float>, count: Int,
                        into y: UnsafeMutableBufferPointer<Float>) {
        vectors.matVecs(ws, x, count: count, into: y)
    }
}
