/// A backend that has its own matrix products and the SIMD backend's everything else
/// (embedding lookup, norms, RoPE, softmax, attention rows, activations, element-wise
/// arithmetic): `BLASBackend` and `AutoBackend`. Conforming is enough: the operations below
/// forward to `vectors`.
public protocol SIMDVectorOperations: Backend {
    /// The SIMD backend that runs every operation but the matrix products.
    var vectors: SIMDBackend { get }
}

extension SIMDVectorOperations {
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

    public func softmax(_ x: UnsafeMutableBufferPointer<Float>, validCount: Int) {
        vectors.softmax(x, validCount: validCount)
    }

    public func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float { vectors.dot(a, b) }

    public func axpy(_ alpha: Float, _ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>) {
        vectors.axpy(alpha, x, y)
    }

    public func dots(_ q: UnsafeBufferPointer<Float>, keys: UnsafePointer<Float>, stride: Int,
                     into out: UnsafeMutableBufferPointer<Float>) {
        vectors.dots(q, keys: keys, stride: stride, into: out)
    }

    public func weightedSum(_ weights: UnsafeBufferPointer<Float>, values: UnsafePointer<Float>, stride: Int,
                            into out: UnsafeMutableBufferPointer<Float>) {
        vectors.weightedSum(weights, values: values, stride: stride, into: out)
    }

    public func silu(_ x: UnsafeMutableBufferPointer<Float>) { vectors.silu(x) }

    public func gelu(_ x: UnsafeMutableBufferPointer<Float>) { vectors.gelu(x) }

    public func add(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
                    into out: UnsafeMutableBufferPointer<Float>) {
        vectors.add(a, b, into: out)
    }

    public func mul(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
                    into out: UnsafeMutableBufferPointer<Float>) {
        vectors.mul(a, b, into: out)
    }

    public func concurrentForEach(_ count: Int, _ body: (Int) -> Void) { vectors.concurrentForEach(count, body) }
}
