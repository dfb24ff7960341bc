import GGUF
@testable import Kernels

// Shared by the SIMD and BLAS backend tests: seeded random data, weight matrices quantized
// with the naive quantizers, and comparisons of a backend with `NaiveBackend`.

/// SplitMix64: a tiny, seeded generator so every run tests the same numbers.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// n floats uniform in [-scale, scale].
func randomFloats(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var g = SeededGenerator(seed: seed)
    return (0..<n).map { _ in Float.random(in: -scale...scale, using: &g) }
}

/// A weight matrix owning its bytes: random floats quantized to `type` row by row.
final class TestMatrix: @unchecked Sendable {
    let bytes: UnsafeMutableRawPointer
    let matrix: WeightMatrix

    init(type: GGMLType, rows: Int, columns: Int, seed: UInt64) {
        let rowBytes = columns / type.blockSize * type.bytesPerBlock
        let bytes = UnsafeMutableRawPointer.allocate(byteCount: max(1, rows * rowBytes), alignment: 64)
        let values = randomFloats(rows * columns, seed: seed)
        values.withUnsafeBufferPointer { v in
            for r in 0..<rows {
                quantizeRow(type: type, from: v.baseAddress! + r * columns, count: columns, into: bytes + r * rowBytes)
            }
        }
        self.bytes = bytes
        matrix = WeightMatrix(name: "test.\(type).weight", type: type, rows: rows, columns: columns, data: bytes)
    }

    deinit { bytes.deallocate() }
}

/// max |a − b| / max |b|: the error relative to the size of the reference result (an
/// element-wise ratio would blow up on results that happen to be near zero).
func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    var worst: Float = 0, scale: Float = 0
    for i in 0..<a.count {
        worst = max(worst, abs(a[i] - b[i]))
        scale = max(scale, abs(b[i]))
    }
    if worst.isNaN { return .infinity }
    return scale == 0 ? worst : worst / scale
}

/// The tolerance the issue sets: 1e-5 for float weights, 1e-4 for quantized ones.
func tolerance(for type: GGMLType) -> Float {
    type == .f32 ? 1e-5 : 1e-4
}

/// Y = X·Wᵀ on `backend`. x: [count, columns]  -> [count, rows]
func product(_ backend: any Backend, _ w: WeightMatrix, _ x: [Float], count: Int) -> [Float] {
    var y = [Float](repeating: .nan, count: count * w.rows)
    x.withUnsafeBufferPointer { xs in
        y.withUnsafeMutableBufferPointer { ys in
            if count == 1 { backend.matVec(w, xs, into: ys) } else { backend.matMul(w, xs, count: count, into: ys) }
        }
    }
    return y
}

/// Runs an in-place operation on a copy of `x`.
func applied(_ x: [Float], _ body: (UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
    var y = x
    y.withUnsafeMutableBufferPointer { body($0) }
    return y
}

/// Every non-matrix operation of `backend` against the naive one on odd sizes; returns the
/// name and relative error of each.
func elementwiseErrors(_ backend: any Backend) -> [(String, Float)] {
    let naive = NaiveBackend()
    var errors: [(String, Float)] = []
    for n in [1, 15, 37, 101, 576] {
        let a = randomFloats(n, seed: UInt64(n), scale: 4), b = randomFloats(n, seed: UInt64(n) + 1000, scale: 2)
        func binary(_ name: String, _ op: (any Backend, UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>,
                                           UnsafeMutableBufferPointer<Float>) -> Void) {
            let results = [naive, backend].map { be in
                a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in applied(a) { op(be, ap, bp, $0) } } }
            }
            errors.append(("\(name) n=\(n)", relativeError(results[1], results[0])))
        }
        binary("add") { $0.add($1, $2, into: $3) }
        binary("mul") { $0.mul($1, $2, into: $3) }
        binary("rmsNorm") { $0.rmsNorm($1, weight: $2, epsilon: 1e-5, into: $3) }
        binary("axpy") { be, ap, _, out in be.axpy(0.37, ap, out) }
        let dots = [naive, backend].map { be in
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in be.dot(ap, bp) } }
        }
        errors.append(("dot n=\(n)", relativeError([dots[1]], [dots[0]])))
        for (name, op) in [("silu", { (be: any Backend, x: UnsafeMutableBufferPointer<Float>) in be.silu(x) }),
                           ("gelu", { (be: any Backend, x: UnsafeMutableBufferPointer<Float>) in be.gelu(x) })] {
            let results = [naive, backend].map { be in applied(a) { op(be, $0) } }
            errors.append(("\(name) n=\(n)", relativeError(results[1], results[0])))
        }
        for valid in Set([0, 1, n / 2, n]) {
            let results = [naive, backend].map { be in applied(a) { be.softmax($0, validCount: valid) } }
            errors.append(("softmax n=\(n) valid=\(valid)", relativeError(results[1], results[0])))
        }
    }
    // One attention head's rows: a query against 37 keys of d floats stored `stride` apart (as
    // in the KV cache), and the weighted sum of those rows with some weights zero (masked).
    // d = 64 is SmolLM2's head; 83 and 7 leave a 16-float chunk and single floats over.
    for d in [64, 83, 7] {
        let stride = 3 * d
        let cache = randomFloats(37 * stride, seed: 77), query = randomFloats(d, seed: 78)
        var weights = randomFloats(37, seed: 79)
        for p in Swift.stride(from: 0, to: 37, by: 5) { weights[p] = 0 }
        let scores = [naive, backend].map { be in
            cache.withUnsafeBufferPointer { c in query.withUnsafeBufferPointer { q in
                applied([Float](repeating: .nan, count: 37)) { be.dots(q, keys: c.baseAddress! + d, stride: stride, into: $0) }
            } }
        }
        errors.append(("dots 37 keys of \(d)", relativeError(scores[1], scores[0])))
        let sums = [naive, backend].map { be in
            cache.withUnsafeBufferPointer { c in weights.withUnsafeBufferPointer { w in
                applied(query) { be.weightedSum(w, values: c.baseAddress! + 2 * d, stride: stride, into: $0) }
            } }
        }
        errors.append(("weightedSum 37 values of \(d)", relativeError(sums[1], sums[0])))
    }
    for style in [RoPEStyle.normal, .neox] {
        for (heads, headDim, dims) in [(3, 64, 64), (2, 38, 38), (5, 64, 32)] {
            for position in [0, 7, 1234] {
                let config = RoPEConfig(dimensions: dims, freqBase: 10_000, freqScale: 0.5, style: style)
                let x = randomFloats(heads * headDim, seed: UInt64(position + dims))
                let results = [naive, backend].map { be in
                    applied(x) { be.rope($0, heads: heads, headDim: headDim, position: position, config: config) }
                }
                errors.append(("rope \(style) heads=\(heads) dim=\(headDim)/\(dims) pos=\(position)",
                               relativeError(results[1], results[0])))
            }
        }
    }
    return errors
}

/// The error of a matrix product relative to what rounding can explain: for each output,
/// |got − expected| / Σ_c |W[r, c]·x[c]| (the classic bound of a dot product's rounding error
/// is proportional to that sum, whatever the order of the additions). Dividing by the result
/// itself would fail correct code on rows whose terms happen to cancel; a wrong block or a
/// missed row still shows up as an error of a few percent.
func productError(_ got: [Float], _ expected: [Float], _ w: WeightMatrix, _ x: [Float], count: Int) -> Float {
    var weights = [Float](repeating: 0, count: w.columns)
    var worst: Float = 0
    for r in 0..<w.rows {
        weights.withUnsafeMutableBufferPointer {
            dequantizeRow(type: w.type, from: w.row(r), count: w.columns, into: $0.baseAddress!)
        }
        for t in 0..<count {
            var magnitude: Float = 0
            for c in 0..<w.columns { magnitude += abs(weights[c] * x[t * w.columns + c]) }
            let i = t * w.rows + r
            let error = abs(got[i] - expected[i])
            if error.isNaN { return .infinity }
            worst = max(worst, magnitude == 0 ? error : error / magnitude)
        }
    }
    return worst
}

/// Matrix products and embeddings of `backend` against the naive ones for one weight type, on
/// odd shapes: 37 rows (not a multiple of a panel), token counts 1, 3, 5 and 13 (short tiles).
func productErrors(_ backend: any Backend, type: GGMLType) -> [(String, Float)] {
    let naive = NaiveBackend()
    var errors: [(String, Float)] = []
    let columnChoices = type.blockSize == 256 ? [256, 768] : (type.blockSize == 32 ? [96, 576] : [37, 576])
    for columns in columnChoices {
        for rows in [1, 37, 130] {
            let w = TestMatrix(type: type, rows: rows, columns: columns, seed: UInt64(rows * 7919 + columns))
            for count in [1, 3, 5, 13] {
                let x = randomFloats(count * columns, seed: UInt64(count + columns))
                let expected = product(naive, w.matrix, x, count: count)
                let got = product(backend, w.matrix, x, count: count)
                errors.append(("\(type) \(rows)×\(columns) by \(count)",
                               productError(got, expected, w.matrix, x, count: count)))
            }
            let row = rows / 2
            let embeddings = [naive, backend].map { be in
                applied([Float](repeating: .nan, count: columns)) { be.embedding(w.matrix, row: row, into: $0) }
            }
            errors.append(("\(type) embedding \(rows)×\(columns)", relativeError(embeddings[1], embeddings[0])))
        }
    }
    return errors
}
