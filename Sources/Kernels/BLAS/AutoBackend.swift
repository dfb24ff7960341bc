import GGUF

/// `auto` when BLAS is present: each matrix product goes to whichever backend is faster for its
/// shape (measured with `loupe-benchmarks kernels`): the SIMD backend's fused decode-and-dot
/// for one token, which reads 4-bit weights directly, and BLAS's sgemm for batches, where the
/// cost of decoding a tile is shared by every token. Everything else is the SIMD backend's.
public struct AutoBackend: Backend {
    public var name: String { "auto" }
    public let simd: SIMDBackend
    public let blas: BLASBackend

    /// Tokens from which batches go to BLAS. Measured with `loupe bench -p N --backend blas,simd`
    /// (SmolLM2 Q4_1, 2 threads): at 4 tokens BLAS 32 t/s vs the SIMD GEMM 16, at 8 tokens 46 vs 28;
    /// at 2 tokens the fused dots win (29 vs 13). A 5-token prompt went from 0.28 s to 0.15 s.
    static let blasMinimumCount = 4

    public init(simd: SIMDBackend, blas: BLASBackend) {
        self.simd = simd
        self.blas = blas
    }

    public func matVec(_ w: WeightMatrix, _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>) {
        simd.matVec(w, x, into: y)
    }

    public func matMul(_ w: WeightMatrix, _ x: UnsafeBufferPointer<Float>, count: Int,
                       into y: UnsafeMutableBufferPointer<Float>) {
        if count >= Self.blasMinimumCount {
            blas.matMul(w, x, count: count, into: y)
        } else {
            simd.matMul(w, x, count: count, into: y)
        }
    }

    public func embedding(_ w: WeightMatrix, row: Int, into out: UnsafeMutableBufferPointer<Float>) {
        simd.embedding(w, row: row, into: out)
    }

    public func rmsNorm(_ x: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>, epsilon: Float,
                        into out: UnsafeMutableBufferPointer<Float>) {
        simd.rmsNorm(x, weight: weight, epsilon: epsilon, into: out)
    }

    public func rope(_ x: UnsafeMutableBufferPointer<Float>, heads: Int, headDim: Int, position: Int,
                     config: RoPEConfig) {
        simd.rope(x, heads: heads, headDim: headDim, position: position, config: config)
    }

    public func softmax(_ x: UnsafeMutableBufferPointer<Float>, validCount: Int) { simd.softmax(x, validCount: validCount) }

    public func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float { simd.dot(a, b) }

    public func axpy(_ alpha: Float, _ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>) {
        simd.axpy(alpha, x, y)
    }

    public func silu(_ x: UnsafeMutableBufferPointer<Float>) { simd.silu(x) }

    public func gelu(_ x: UnsafeMutableBufferPointer<Float>) { simd.gelu(x) }

    public func add(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
                    into out: UnsafeMutableBufferPointer<Float>) {
        simd.add(a, b, into: out)
    }

    public func mul(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
                    into out: UnsafeMutableBufferPointer<Float>) {
        simd.mul(a, b, into: out)
    }
}
