import Foundation
import GGUF

/// A weight matrix as GGUF stores it: `rows` rows of `columns` values, each row a run of
/// `columns / type.blockSize` blocks of `type`. The bytes stay where they are (usually in the
/// memory-mapped model file); kernels read them block by block and never expand the whole
/// matrix to floats.
public struct WeightMatrix: @unchecked Sendable {
    /// Tensor name in the file (`blk.0.attn_q.weight`), for messages and inspection.
    public let name: String
    public let type: GGMLType
    public let rows: Int
    public let columns: Int
    /// First byte of row 0. Must stay valid as long as the matrix is used.
    public let data: UnsafeRawPointer
    /// True when backends that round activations to 8 bits (`simd-q8`, `auto`) must not round
    /// them for this matrix: the model sets it on the unembedding, whose rounding error would go
    /// straight into the logits (measured: it is most of the largest logit error on the tiny
    /// models of `Tests/Conformance/archs`), while its product, one token at a time, is bound
    /// by memory and costs the same either way.
    public var keepsFloatActivations = false

    public init(name: String, type: GGMLType, rows: Int, columns: Int, data: UnsafeRawPointer) {
        precondition(columns % type.blockSize == 0, "\(name): \(columns) columns is not whole \(type) blocks")
        self.name = name
        self.type = type
        self.rows = rows
        self.columns = columns
        self.data = data
    }

    /// The tensor `info` of `file`, seen as a matrix of `info.rows × info.columns` (a 1-D tensor
    /// is one row). The file must outlive the matrix.
    public init(file: GGUFFile, tensor info: GGUFTensorInfo) {
        let bytes = file.data(of: info)
        self.init(name: info.name, type: info.type, rows: info.rows, columns: info.columns,
                  data: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 16)!)
    }

    /// Bytes in one row.
    public var rowBytes: Int { columns / type.blockSize * type.bytesPerBlock }

    /// First byte of row `r`.
    public func row(_ r: Int) -> UnsafeRawPointer { data + r * rowBytes }
}

/// How RoPE pairs the dimensions of a head it rotates.
public enum RoPEStyle: Sendable {
    /// Adjacent pairs (x[2i], x[2i+1]): Llama as GGUF stores it (ggml's mode 0).
    case normal
    /// Halves (x[i], x[i + d/2]): GPT-NeoX, Gemma, Qwen (ggml's mode 2).
    case neox
}

/// Rotary position embedding parameters.
public struct RoPEConfig: Sendable, Equatable {
    /// Number of leading dimensions of each head that are rotated (`rope.dimension_count`).
    public var dimensions: Int
    /// θ base: pair i turns by position · base^(-2i/dimensions).
    public var freqBase: Float
    /// Linear position scaling (1 / `rope.scaling.factor`): position is multiplied by it.
    public var freqScale: Float
    public var style: RoPEStyle
    /// Per-pair frequency factors f_i (Llama 3.1's `rope_freqs.weight`, Phi-3's long/short
    /// factors): the angle of pair i is divided by f_i. Nil: every f_i is 1.   [dimensions / 2]
    public var frequencyFactors: [Float]?
    /// Multiplies cos and sin, so both q and k (`rope.scaling.attn_factor`; 1 for most models).
    public var magnitude: Float
    /// YaRN (`rope.scaling.type` = yarn): how much of the unscaled angle is mixed back in on the
    /// fast-turning pairs (llama.cpp's ext_factor; 0 = plain linear scaling), and the pairs
    /// between which the mix ramps from 1 to 0 (llama.cpp's correction dims).
    public var yarnMix: Float = 0
    public var yarnLow: Float = 0
    public var yarnHigh: Float = 0

    public init(dimensions: Int, freqBase: Float = 10_000, freqScale: Float = 1, style: RoPEStyle = .normal,
                frequencyFactors: [Float]? = nil, magnitude: Float = 1) {
        self.dimensions = dimensions
        self.freqBase = freqBase
        self.freqScale = freqScale
        self.style = style
        self.frequencyFactors = frequencyFactors
        self.magnitude = magnitude
    }

    /// The angle of pair i at `position`: position · freqScale · base^(−2i/dimensions) / f_i,
    /// in Double (positions in the thousands need more than Float's 24 bits).
    /// With YaRN, pair i's angle mixes the scaled and the unscaled angle (as ggml's `rope_yarn`).
    @inline(__always)
    public func angle(pair i: Int, position: Int) -> Double {
        var extrapolated = Double(position) * pow(Double(freqBase), -2 * Double(i) / Double(dimensions))
        if let factors = frequencyFactors { extrapolated /= Double(factors[i]) }
        let interpolated = Double(freqScale) * extrapolated
        guard yarnMix != 0 else { return interpolated }
        let y = (Float(i) - yarnLow) / max(0.001, yarnHigh - yarnLow)
        let mix = Double((1 - min(1, max(0, y))) * yarnMix)
        return interpolated * (1 - mix) + extrapolated * mix
    }

    /// What cos and sin are multiplied by: `magnitude`, and with YaRN 1 + 0.1·ln(1/freqScale).
    public var rotationScale: Float {
        yarnMix == 0 ? magnitude : magnitude * (1 + 0.1 * logf(1 / freqScale))
    }
}

/// The operations a transformer needs, implemented once per backend.
///
/// `NaiveBackend` is the specification: plain loops a student can read. `SIMDBackend` and
/// `BLASBackend` must give the same results (tests check them against `NaiveBackend`) faster.
/// Shapes are given in comments as `[rows, columns]`, row-major, innermost last.
public protocol Backend: Sendable {
    /// `naive`, `simd` or `blas`.
    var name: String { get }

    /// Matrix-vector product y = W·x.
    /// W: [rows, columns]  x: [columns]  -> y: [rows]
    func matVec(_ w: WeightMatrix, _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>)

    /// Matrix-matrix product of a batch of activations with a weight: Y = X·Wᵀ.
    /// W: [rows, columns]  X: [count, columns]  -> Y: [count, rows]
    func matMul(_ w: WeightMatrix, _ x: UnsafeBufferPointer<Float>, count: Int, into y: UnsafeMutableBufferPointer<Float>)

    /// Products of several weights with the same activations (Q, K and V; gate and up), their
    /// outputs one after the other: Y = [X·W_0ᵀ | X·W_1ᵀ | …], part i being [count, rows_i].
    /// One call lets a backend prepare X once (round it to 8 bits, pack it) and share the rows of
    /// all the weights between its threads in one hand-off.
    /// W_i: [rows_i, columns]  X: [count, columns]  -> Y: [Σ_i count·rows_i]
    func matMul(_ ws: [WeightMatrix], _ x: UnsafeBufferPointer<Float>, count: Int,
                into y: UnsafeMutableBufferPointer<Float>)

    /// One matrix-vector product per row of X, for rows that are independent sequences (one
    /// new token of each of the server's slots): row t of each part is bit for bit what
    /// `matVec(W_i, x_t)` gives, whatever `count` is, so that batching never changes an answer.
    /// (`matMul` may pick another kernel for a batch, as for a prompt, whose sums round
    /// differently.) The layout is `matMul`'s; a backend may still read each weight once.
    /// W_i: [rows_i, columns]  X: [count, columns]  -> Y: [Σ_i count·rows_i]
    func matVecs(_ ws: [WeightMatrix], _ x: UnsafeBufferPointer<Float>, count: Int,
                 into y: UnsafeMutableBufferPointer<Float>)

    /// True when `matMul` with w gives every row the bits `matVec` gives it alone, whatever
    /// the batch (simd-q8's integer products): then the tokens of several prompts can share one
    /// product and each prompt still gets the numbers it gets alone.
    func matMulIsPerToken(_ w: WeightMatrix) -> Bool

    /// Row `row` of W as floats (the embedding of one token).
    /// W: [rows, columns]  -> out: [columns]
    func embedding(_ w: WeightMatrix, row: Int, into out: UnsafeMutableBufferPointer<Float>)

    /// RMSNorm: out = x / sqrt(mean(x²) + ε) ⊙ weight.
    /// x, weight, out: [n]   (out may be x)
    func rmsNorm(_ x: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>, epsilon: Float,
                 into out: UnsafeMutableBufferPointer<Float>)

    /// Rotates every head of `x` in place for the token at `position`.
    /// x: [heads, headDim]
    func rope(_ x: UnsafeMutableBufferPointer<Float>, heads: Int, headDim: Int, position: Int, config: RoPEConfig)

    /// Softmax in place over x[0..<validCount]; x[validCount...] are masked (set to 0), which is
    /// how the causal mask reaches the attention pattern.
    /// x: [n]
    func softmax(_ x: UnsafeMutableBufferPointer<Float>, validCount: Int)

    /// Dot product a·b (one attention score).   a, b: [n]
    func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float

    /// y ← y + α·x (one term of the attention-weighted sum of values).   x, y: [n]
    func axpy(_ alpha: Float, _ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>)

    /// SiLU in place: x ← x · σ(x).   x: [n]
    func silu(_ x: UnsafeMutableBufferPointer<Float>)

    /// GELU in place (tanh approximation, as ggml's `ggml_gelu`).   x: [n]
    func gelu(_ x: UnsafeMutableBufferPointer<Float>)

    /// out = a + b.   a, b, out: [n]   (out may alias a or b)
    func add(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>)

    /// out = a ⊙ b.   a, b, out: [n]   (out may alias a or b)
    func mul(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>)

    /// Runs body(0), …, body(count − 1), which must not depend on each other (the heads of an
    /// attention layer), on the backend's threads; the naive backend runs them in order.
    func concurrentForEach(_ count: Int, _ body: (Int) -> Void)

    /// One query against `out.count` keys laid out `stride` floats apart (one head of the KV
    /// cache): out[p] = q · key_p, where key_p starts at keys + p·stride. A key's score may
    /// depend on the key, the query, and whether it is among the last out.count mod 4 keys of
    /// the call, no more (the SIMD backend takes keys by fours, then the rest one by one), so
    /// that a row cut at multiples of 4 keys gets the bits of one call.
    /// q: [n]  keys: [count, stride] (the first n of each row)  -> out: [count]
    func dots(_ q: UnsafeBufferPointer<Float>, keys: UnsafePointer<Float>, stride: Int,
              into out: UnsafeMutableBufferPointer<Float>)

    /// out ← out + Σ_p weights[p] · value_p, value_p starting at values + p·stride, skipping
    /// zero weights (masked positions), p ascending: one call over p ∈ a ..< c gives the bits
    /// of two, over a ..< b then b ..< c.
    /// weights: [count]  values: [count, stride] (the first n of each row)  out: [n]
    func weightedSum(_ weights: UnsafeBufferPointer<Float>, values: UnsafePointer<Float>, stride: Int,
                     into out: UnsafeMutableBufferPointer<Float>)
}

extension Backend {
    /// One product per weight, each into its part of y.
    public func matMul(_ ws: [WeightMatrix], _ x: UnsafeBufferPointer<Float>, count: Int,
                       into y: UnsafeMutableBufferPointer<Float>) {
        var start = 0
        for w in ws {
            let part = UnsafeMutableBufferPointer(rebasing: y[start ..< start + count * w.rows])
            if count == 1 { matVec(w, x, into: part) } else { matMul(w, x, count: count, into: part) }
            start += count * w.rows
        }
    }

    /// One `matVec` per row of X and weight.
    public func matVecs(_ ws: [WeightMatrix], _ x: UnsafeBufferPointer<Float>, count: Int,
                        into y: UnsafeMutableBufferPointer<Float>) {
        var start = 0
        for w in ws {
            for t in 0 ..< count {
                matVec(w, UnsafeBufferPointer(rebasing: x[t * w.columns ..< (t + 1) * w.columns]),
                       into: UnsafeMutableBufferPointer(rebasing: y[start + t * w.rows ..< start + (t + 1) * w.rows]))
            }
            start += count * w.rows
        }
    }

    /// One `dot` per key.
    public func dots(_ q: UnsafeBufferPointer<Float>, keys: UnsafePointer<Float>, stride: Int,
                     into out: UnsafeMutableBufferPointer<Float>) {
        for p in 0..<out.count {
            out[p] = dot(q, UnsafeBufferPointer(start: keys + p * stride, count: q.count))
        }
    }

    /// One `axpy` per nonzero weight.
    public func weightedSum(_ weights: UnsafeBufferPointer<Float>, values: UnsafePointer<Float>, stride: Int,
                            into out: UnsafeMutableBufferPointer<Float>) {
        for p in 0..<weights.count where weights[p] != 0 {
            axpy(weights[p], UnsafeBufferPointer(start: values + p * stride, count: out.count), out)
        }
    }

    /// One after the other, on the calling thread.
    public func concurrentForEach(_ count: Int, _ body: (Int) -> Void) {
        for i in 0..<count { body(i) }
    }

    /// Not promised unless a backend says so.
    public func matMulIsPerToken(_ w: WeightMatrix) -> Bool { false }
}
