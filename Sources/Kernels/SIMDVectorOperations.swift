/// A backend that has its own matrix products and the SIMD backend's everything else
/// (embedding lookup, norms, RoPE, softmax, attention rows, activations, element-wise
/// arithmetic): `BLASBackend` and `AutoBackend`. Conforming is enough: the operations below
/// forward to `vectors`. They are inlined into each conforming type's own methods: called
/// once per row of attention, an out-of-line forwarder copied `vectors` and so retained and
/// released its thread pool, an atomic count both threads touched (5 % of SmolLM2's prompt
/// time in `perf`).
public protocol SIMDVectorOperations: Backend {
    /// The SIMD backend that runs every operation but the matrix products.
    var vectors: SIMDBackend { get }
}

extension SIMDVectorOperations {
    @inline(__always) public func embedding(_ w: WeightMatrix, row: Int, into out: UnsafeMutableBufferPointer<Float>) {
        vectors.embedding(w, row: row, into: out)
    }

    @inline(__always) public func rmsNorm(_ x: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>, epsilon: Float,
                        into out: UnsafeMutableBufferPointer<Float>) {
        vectors.rmsNorm(x, weight: weight, epsilon: epsilon, into: out)
    }

    @inline(__always) public func rope(_ x: UnsafeMutableBufferPointer<Float>, heads: Int, headDim: Int, position: Int,
                     config: RoPEConfig) {
        vectors.rope(x, heads: heads, headDim: headDim, position: position, config: config)
    }

    @inline(__always) public func softmax(_ x: UnsafeMutableBufferPointer<Float>, validCount: Int) {
        vectors.softmax(x, validCount: validCount)
    }

    @inline(__always) public func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float { vectors.dot(a, b) }

    @inline(__always) public func axpy(_ alpha: Float, _ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>) {
        vectors.axpy(alpha, x, y)
    }

    @inline(__always) public func dots(_ q: UnsafeBufferPointer<Float>, keys: UnsafePointer<Float>, stride: Int,
                     into out: UnsafeMutableBufferPointer<Float>) {
        vectors.dots(q, keys: keys, stride: stride, into: out)
    }

    @inline(__always) public func weightedSum(_ weights: UnsafeBufferPointer<Float>, values: UnsafePointer<Float>, stride: Int,
                            into out: UnsafeMutableBufferPointer<Float>) {
        vectors.weightedSum(weights, values: values, stride: stride, into: out)
    }

    @inline(__always) public func silu(_ x: UnsafeMutableBufferPointer<Float>) { vectors.silu(x) }

    @inline(__always) public func gelu(_ x: UnsafeMutableBufferPointer<Float>) { vectors.gelu(x) }

    @inline(__always) public func add(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
                    into out: UnsafeMutableBufferPointer<Float>) {
        vectors.add(a, b, into: out)
    }

    @inline(__always) public func mul(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
                    into out: UnsafeMutableBufferPointer<Float>) {
        vectors.mul(a, b, into: out)
    }

    public func concurrentForEach(_ count: Int, _ body: (Int) -> Void) { vectors.concurrentForEach(count, body) }
}
