import Foundation
import GGUF

/// The specification: every operation as the plain scalar loop of its formula, one element at
/// a time. The SIMD and BLAS backends are tested against it. Weights are never expanded to a
/// float matrix: each dot product reads the row's blocks directly (`dotRow`).
public struct NaiveBackend: Backend {
    public var name: String { "naive" }

    public init() {}

    /// y[r] = Σ_c W[r, c] · x[c]
    public func matVec(_ w: WeightMatrix, _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>) {
        precondition(x.count >= w.columns && y.count >= w.rows, "\(w.name): matVec shapes")
        for r in 0..<w.rows {
            y[r] = dotRow(w.type, w.row(r), x.baseAddress!, count: w.columns)
        }
    }

    /// Y[t, r] = Σ_c X[t, c] · W[r, c], one matVec per token t.
    public func matMul(_ w: WeightMatrix, _ x: UnsafeBufferPointer<Float>, count: Int,
                       into y: UnsafeMutableBufferPointer<Float>) {
        precondition(x.count >= count * w.columns && y.count >= count * w.rows, "\(w.name): matMul shapes")
        for t in 0..<count {
            matVec(w, UnsafeBufferPointer(rebasing: x[t * w.columns ..< (t + 1) * w.columns]),
                   into: UnsafeMutableBufferPointer(rebasing: y[t * w.rows ..< (t + 1) * w.rows]))
        }
    }

    /// out[c] = W[row, c]
    public func embedding(_ w: WeightMatrix, row: Int, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(row >= 0 && row < w.rows && out.count >= w.columns, "\(w.name): embedding row \(row)")
        dequantizeRow(type: w.type, from: w.row(row), count: w.columns, into: out.baseAddress!)
    }

    /// out[i] = x[i] / sqrt(Σ x² / n + ε) · weight[i]   (sum in Double, as ggml does)
    public func rmsNorm(_ x: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>, epsilon: Float,
                        into out: UnsafeMutableBufferPointer<Float>) {
        let n = x.count
        var sumOfSquares: Double = 0
        for i in 0..<n { sumOfSquares += Double(x[i] * x[i]) }
        let mean = Float(sumOfSquares / Double(n))
        let scale = 1 / (mean + epsilon).squareRoot()
        for i in 0..<n { out[i] = x[i] * scale * weight[i] }
    }

    /// Rotates pairs of each head by the angle position · freqScale · base^(−2i/dimensions) / f_i
    /// (f_i the frequency factors, or 1), scaled by `magnitude`, pair i being (2i, 2i+1) in `.normal` style and (i, i + dimensions/2) in `.neox` style.
    /// Angles are computed in Double: positions in the thousands need more than Float's 24 bits.
    public func rope(_ x: UnsafeMutableBufferPointer<Float>, heads: Int, headDim: Int, position: Int,
                     config: RoPEConfig) {
        let dims = config.dimensions
        for h in 0..<heads {
            let head = x.baseAddress! + h * headDim
            for i in 0..<dims / 2 {
                let theta = config.angle(pair: i, position: position)
                let cosTheta = Float(cos(theta)) * config.rotationScale, sinTheta = Float(sin(theta)) * config.rotationScale
                let (a, b) = config.style == .normal ? (2 * i, 2 * i + 1) : (i, i + dims / 2)
                let x0 = head[a], x1 = head[b]
                head[a] = x0 * cosTheta - x1 * sinTheta
                head[b] = x0 * sinTheta + x1 * cosTheta
            }
        }
    }

    /// x[i] = exp(x[i] − max) / Σ exp(x[j] − max) for i < validCount; 0 beyond.
    public func softmax(_ x: UnsafeMutableBufferPointer<Float>, validCount: Int) {
        var maxValue = -Float.infinity
        for i in 0..<validCount { maxValue = max(maxValue, x[i]) }
        var sum: Double = 0
        for i in 0..<validCount {
            x[i] = exp(x[i] - maxValue)
            sum += Double(x[i])
        }
        let inverse = Float(1 / sum)
        for i in 0..<validCount { x[i] *= inverse }
        for i in validCount..<x.count { x[i] = 0 }
    }

    /// Σ a[i] · b[i]
    public func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
        var sum: Float = 0
        for i in 0..<a.count { sum += a[i] * b[i] }
        return sum
    }

    /// y[i] += α · x[i]
    public func axpy(_ alpha: Float, _ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<x.count { y[i] += alpha * x[i] }
    }

    /// x[i] = x[i] / (1 + exp(−x[i]))
    public func silu(_ x: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<x.count { x[i] = x[i] / (1 + exp(-x[i])) }
    }

    /// x[i] = ½ · x[i] · (1 + tanh(√(2/π) · (x[i] + 0.044715 · x[i]³)))
    public func gelu(_ x: UnsafeMutableBufferPointer<Float>) {
        let sqrtTwoOverPi: Float = 0.797_884_560_802_865_4
        for i in 0..<x.count {
            let v = x[i]
            x[i] = 0.5 * v * (1 + tanh(sqrtTwoOverPi * v * (1 + 0.044715 * v * v)))
        }
    }

    /// out[i] = a[i] + b[i]
    public func add(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
                    into out: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<a.count { out[i] = a[i] + b[i] }
    }

    /// out[i] = a[i] · b[i]
    public func mul(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
                    into out: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<a.count { out[i] = a[i] * b[i] }
    }
}
