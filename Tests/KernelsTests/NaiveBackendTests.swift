import Foundation
import Testing
import GGUF
@testable import Kernels

/// The naive backend against the formulas, computed independently (in Double where it matters).
@Suite struct NaiveBackendTests {
    let naive = NaiveBackend()

    /// A random `rows × columns` matrix of `type`, with the floats it holds after quantization.
    func randomMatrix(_ type: GGMLType, rows: Int, columns: Int, seed: UInt64) -> (bytes: [UInt8], values: [Float]) {
        var generator = SplitMix(seed: seed)
        let x = (0..<rows * columns).map { _ in generator.nextGaussian() }
        var bytes = [UInt8](repeating: 0, count: type.byteCount(elements: rows * columns)!)
        bytes.withUnsafeMutableBytes { quantizeRow(type: type, from: x, count: x.count, into: $0.baseAddress!) }
        var values = [Float](repeating: 0, count: x.count)
        bytes.withUnsafeBytes { dequantizeRow(type: type, from: $0.baseAddress!, count: x.count, into: &values) }
        return (bytes, values)
    }

    @Test(arguments: GGMLType.computable)
    func matVecMatMulAndEmbeddingAgreeWithTheDequantizedMatrix(type: GGMLType) {
        let rows = 5, columns = 512, tokens = 3
        let (bytes, values) = randomMatrix(type, rows: rows, columns: columns, seed: UInt64(type.rawValue))
        var generator = SplitMix(seed: 99)
        let x = (0..<tokens * columns).map { _ in generator.nextFloat() * 2 - 1 }
        bytes.withUnsafeBytes { raw in
            let w = WeightMatrix(name: "w", type: type, rows: rows, columns: columns, data: raw.baseAddress!)
            var y = [Float](repeating: .nan, count: tokens * rows)
            x.withUnsafeBufferPointer { x in
                y.withUnsafeMutableBufferPointer { naive.matMul(w, x, count: tokens, into: $0) }
            }
            for t in 0..<tokens {
                var single = [Float](repeating: .nan, count: rows)
                x.withUnsafeBufferPointer { x in
                    single.withUnsafeMutableBufferPointer {
                        naive.matVec(w, UnsafeBufferPointer(rebasing: x[t * columns ..< (t + 1) * columns]), into: $0)
                    }
                }
                for r in 0..<rows {
                    var exact = 0.0, magnitude = 0.0
                    for c in 0..<columns {
                        exact += Double(values[r * columns + c]) * Double(x[t * columns + c])
                        magnitude += abs(Double(values[r * columns + c]) * Double(x[t * columns + c]))
                    }
                    #expect(abs(Double(single[r]) - exact) <= 1e-5 * magnitude, "\(type) row \(r)")
                    #expect(y[t * rows + r] == single[r], "matMul is matVec per token")
                }
            }
            var row = [Float](repeating: .nan, count: columns)
            row.withUnsafeMutableBufferPointer { naive.embedding(w, row: 3, into: $0) }
            #expect(row == Array(values[3 * columns ..< 4 * columns]))
        }
    }

    @Test func rmsNormMatchesFormula() {
        let x: [Float] = [1, 2, 3, 4], weight: [Float] = [1, 0.5, 2, -1]
        let out = binary(x, weight) { naive.rmsNorm($0, weight: $1, epsilon: 1e-5, into: $2) }
        let rms = (Double(1 + 4 + 9 + 16) / 4 + 1e-5).squareRoot()
        for i in 0..<4 {
            #expect(abs(Double(out[i]) - Double(x[i]) / rms * Double(weight[i])) < 1e-6)
        }
        // In place (out aliases x).
        var inPlace = x
        inPlace.withUnsafeMutableBufferPointer { buffer in
            weight.withUnsafeBufferPointer { w in
                naive.rmsNorm(UnsafeBufferPointer(buffer), weight: w, epsilon: 1e-5, into: buffer)
            }
        }
        #expect(inPlace == out)
    }

    @Test func ropeNormalRotatesAdjacentPairs() {
        let config = RoPEConfig(dimensions: 4, freqBase: 10_000, style: .normal)
        // Two heads of 6: the last 2 dimensions of each head are not rotated.
        var x: [Float] = [1, 0, 1, 0, 7, 8, 0, 1, 0, 1, 9, 10]
        x.withUnsafeMutableBufferPointer { naive.rope($0, heads: 2, headDim: 6, position: 3, config: config) }
        let a0 = 3.0, a1 = 3.0 * pow(10_000, -0.5)
        let expected: [Double] = [cos(a0), sin(a0), cos(a1), sin(a1), 7, 8,
                                  -sin(a0), cos(a0), -sin(a1), cos(a1), 9, 10]
        for i in 0..<12 { #expect(abs(Double(x[i]) - expected[i]) < 1e-6, "index \(i)") }
    }

    @Test func ropeNeoxRotatesHalves() {
        let config = RoPEConfig(dimensions: 4, freqBase: 100, freqScale: 0.5, style: .neox)
        var x: [Float] = [1, 2, 0, 0]
        x.withUnsafeMutableBufferPointer { naive.rope($0, heads: 1, headDim: 4, position: 10, config: config) }
        let a0 = 10.0 * 0.5, a1 = 10.0 * 0.5 * pow(100, -0.5)
        let expected: [Double] = [cos(a0), 2 * cos(a1), sin(a0), 2 * sin(a1)]
        for i in 0..<4 { #expect(abs(Double(x[i]) - expected[i]) < 1e-6, "index \(i)") }
    }

    @Test func ropeAtPositionZeroIsIdentity() {
        var x: [Float] = [0.3, -1, 2, 5]
        let before = x
        x.withUnsafeMutableBufferPointer { naive.rope($0, heads: 1, headDim: 4, position: 0, config: RoPEConfig(dimensions: 4)) }
        #expect(x == before)
    }

    @Test func softmaxNormalizesAndMasks() {
        var x: [Float] = [0, Float(log(2.0)), 1000, -3]
        x.withUnsafeMutableBufferPointer { naive.softmax($0, validCount: 2) }
        #expect(abs(x[0] - 1.0 / 3) < 1e-7 && abs(x[1] - 2.0 / 3) < 1e-7)
        #expect(x[2] == 0 && x[3] == 0)
        // Large logits do not overflow.
        var big: [Float] = [1000, 1000]
        big.withUnsafeMutableBufferPointer { naive.softmax($0, validCount: 2) }
        #expect(big == [0.5, 0.5])
    }

    @Test func activations() {
        var s: [Float] = [0, 1, -2]
        s.withUnsafeMutableBufferPointer { naive.silu($0) }
        #expect(s[0] == 0)
        #expect(abs(Double(s[1]) - 1 / (1 + exp(-1.0))) < 1e-7)
        #expect(abs(Double(s[2]) - -2 / (1 + exp(2.0))) < 1e-7)
        var g: [Float] = [0, 1, -1, 2]
        g.withUnsafeMutableBufferPointer { naive.gelu($0) }
        // Values of the tanh approximation (PyTorch's gelu(approximate="tanh")).
        let expected: [Double] = [0, 0.841_191_990_6, -0.158_808_009_4, 1.954_597_694_1]
        for i in 0..<4 { #expect(abs(Double(g[i]) - expected[i]) < 1e-6) }
    }

    @Test func vectorArithmetic() {
        let a: [Float] = [1, 2, 3], b: [Float] = [4, -5, 0.5]
        let d = a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in naive.dot(a, b) } }
        #expect(d == 4 - 10 + 1.5)
        #expect(binary(a, b) { x, y, out in
            for i in 0..<3 { out[i] = y[i] }
            naive.axpy(2, x, out)
        } == [6, -1, 6.5])
        #expect(binary(a, b) { naive.add($0, $1, into: $2) } == [5, -3, 3.5])
        #expect(binary(a, b) { naive.mul($0, $1, into: $2) } == [4, -10, 1.5])
        #expect(naive.name == "naive")
    }

    /// Runs an operation of two input vectors and one output vector on arrays.
    func binary(_ a: [Float], _ b: [Float],
                _ body: (UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
        var out = [Float](repeating: .nan, count: a.count)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { body(a, b, $0) }
            }
        }
        return out
    }
}
