import GGUF
import Testing
@testable import Kernels

/// Continuous batching may not change an answer: a token decoded together with others must get
/// the very numbers it gets alone. These tests compare bit for bit (`==`, not a tolerance).
@Suite("Batch invariance: k tokens at once equal k tokens one at a time")
struct BatchInvarianceTests {
    /// Shapes that are not multiples of anything convenient: rows not a multiple of the pool's
    /// chunks, columns of an odd number of blocks.
    static func shapes(_ type: GGMLType) -> [(rows: Int, columns: Int)] {
        type.blockSize == 256 ? [(37, 256), (5, 768)] : [(37, 96), (101, 160), (3, 544)]
    }

    /// The x rows of `count` tokens, each multiplied alone by `matVec`.   -> [count, rows]
    static func oneAtATime(_ backend: any Backend, _ w: WeightMatrix, _ x: [Float], count: Int) -> [Float] {
        (0 ..< count).flatMap { t in
            product(backend, w, Array(x[t * w.columns ..< (t + 1) * w.columns]), count: 1)
        }
    }

    /// simd-q8's matMul of k tokens reads each row once for all of them (rows outer, tokens
    /// inner), yet every (row, token) dot is the one-token arithmetic: equal to k matVecs.
    /// (Float weights are not rounded: from 4 tokens their matMul is the GEMM, as for `simd`.)
    @Test("simd-q8 matMul of k tokens equals k matVecs", arguments: GGMLType.computable.filter { $0.blockSize > 1 })
    func int8MatMul(type: GGMLType) {
        let backend = SIMDBackend(threads: 2, activations: .int8)
        for (s, shape) in Self.shapes(type).enumerated() {
            let w = TestMatrix(type: type, rows: shape.rows, columns: shape.columns, seed: UInt64(40 + s))
            // Every mix of groups of 8 (5 to 8 tokens, with VNNI), 4, 2 and 1, and the GEMM's 13.
            for count in [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13] {
                let x = randomFloats(count * shape.columns, seed: UInt64(count * 7 + s))
                let together = product(backend, w.matrix, x, count: count)
                let alone = Self.oneAtATime(backend, w.matrix, x, count: count)
                #expect(together == alone, "\(type) \(shape.rows)×\(shape.columns) by \(count)")
            }
        }
    }

    /// With AVX-512 the integer products take two parts per 64-byte register; their lanes must
    /// be the even and odd sums of the 32-byte path, bit for bit, so that a row's numbers do
    /// not depend on the CPU (the lecture's transcripts are the same on AVX2 and AVX-512).
    @Test("64-byte integer products equal the 32-byte ones", arguments: GGMLType.computable.filter { $0.blockSize > 1 })
    func pairedParts(type: GGMLType) {
        for (s, shape) in Self.shapes(type).enumerated() {
            let w = TestMatrix(type: type, rows: shape.rows, columns: shape.columns, seed: UInt64(70 + s))
            let x = randomFloats(shape.columns, seed: UInt64(80 + s), scale: 3)
            let bytes = Int8Activations.scratchBytes(shape.columns)
            withUnsafeTemporaryAllocation(byteCount: bytes, alignment: 16) { scratch in
                let xq = x.withUnsafeBufferPointer { Int8Activations($0.baseAddress!, shape.columns, scratch: scratch.baseAddress!) }
                for r in 0 ..< shape.rows {
                    let paired = integerDot(w.matrix, r, xq, pairs: true), single = integerDot(w.matrix, r, xq, pairs: false)
                    #expect(paired == single, "\(type) \(shape.rows)×\(shape.columns) row \(r): \(paired) vs \(single)")
                }
            }
        }
    }

    /// `matVecs` (independent rows: the server's slots) equals one `matVec` per row and weight
    /// on every backend, whatever the count, where `matMul` would switch to a GEMM from 4 tokens.
    /// Groups of weights of one type and of mixed types (a float one among quantized ones).
    @Test("matVecs equals one matVec per row", arguments: ["naive", "simd", "simd-q8", "blas", "auto"])
    func matVecs(backendName: String) throws {
        let kind = try BackendKind(name: backendName)
        guard kind != .blas || CBLAS.isAvailable else { return }
        let backend = try kind.makeBackend(threads: 2)
        // The last group's Q8_0 keeps float activations, as the unembedding does.
        let groups: [[GGMLType]] = [[.q4_1, .q4_1, .q4_1], [.q4_K, .q6_K], [.q8_0, .f32, .q5_0], [.f16], [.q4_0, .bf16], [.q8_0, .q4_K]]
        for (g, types) in groups.enumerated() {
            let columns = types.contains { $0.blockSize == 256 } ? 512 : 160
            let ws = types.enumerated().map { i, type in
                TestMatrix(type: type, rows: [37, 64, 5][i], columns: columns, seed: UInt64(10 * g + i))
            }
            var matrices = ws.map(\.matrix)
            if g == groups.count - 1 { matrices[0].keepsFloatActivations = true }
            for count in [1, 2, 3, 4, 7, 8, 17] {
                let x = randomFloats(count * columns, seed: UInt64(count))
                var expected: [Float] = []
                for w in matrices { expected += Self.oneAtATime(backend, w, x, count: count) }
                var y = [Float](repeating: .nan, count: expected.count)
                x.withUnsafeBufferPointer { xs in
                    y.withUnsafeMutableBufferPointer { backend.matVecs(matrices, xs, count: count, into: $0) }
                }
                #expect(y == expected, "\(backendName) \(types) by \(count)")
            }
            withExtendedLifetime(ws) {}
        }
    }

    /// SiLU and GELU over a batch of rows long enough to be cut between threads give each row what
    /// it gives alone, values that take the scalar path (x > 87) included. The rows are whole runs
    /// of 16 values; an even share of the batch per thread (23·1552 / 8) would not be.
    @Test("SiLU and GELU of a batch equal SiLU and GELU of each row")
    func activationRows() {
        let backend = SIMDBackend(threads: 2)
        let width = 1552, rows = 23
        var x = randomFloats(rows * width, seed: 3, scale: 8)
        for i in stride(from: 5, to: x.count, by: 997) { x[i] = 90 }
        for activation in [backend.silu, backend.gelu] {
            let together = applied(x) { activation($0) }
            let alone = (0 ..< rows).flatMap { r in applied(Array(x[r * width ..< (r + 1) * width])) { activation($0) } }
            #expect(together == alone)
        }
    }

    /// Attention visits the keys by blocks (a prompt's tiles, a generated token's whole context),
    /// so the same (query, key) pair may fall in a pass of sixteen keys (AVX-512) or of four.
    /// Both must give the key the same bits: its 16 lanes chained chunk by chunk, then
    /// `horizontalSum`. (The last count mod 4 keys are single dots, as they always were.)
    @Test("attention's scores: a key's bits do not depend on the pass that computes it")
    func scoresByKey() {
        for n in [16, 64, 80, 256] {
            let width = n + 48
            let keys = randomFloats(53 * width, seed: UInt64(n))
            let q = randomFloats(n, seed: UInt64(n + 1))
            func chained(_ p: Int) -> Float {
                var a = SIMD16<Float>()
                for i in stride(from: 0, to: n, by: 16) {
                    a = a.addingProduct(SIMD16(q[i ..< i + 16]), SIMD16(keys[p * width + i ..< p * width + i + 16]))
                }
                return horizontalSum(a)
            }
            for count in [1, 4, 15, 16, 17, 20, 31, 32, 37, 48, 53] {
                var out = [Float](repeating: .nan, count: count)
                q.withUnsafeBufferPointer { q in
                    keys.withUnsafeBufferPointer { k in
                        out.withUnsafeMutableBufferPointer { o in
                            simdDots(q.baseAddress!, n, keys: k.baseAddress!, stride: width, o.baseAddress!, count: count)
                        }
                    }
                }
                for p in 0 ..< count - count % 4 {
                    #expect(out[p].bitPattern == chained(p).bitPattern, "n \(n), \(count) keys, key \(p)")
                }
            }
        }
    }
}

/// Row r of w against x with the integer products, on the 64-byte path (`pairs`) or not.
private func integerDot(_ w: WeightMatrix, _ r: Int, _ x: Int8Activations, pairs: Bool) -> Float {
    let row = w.row(r), blocks = w.columns / w.type.blockSize
    func dot<D: IntegerPartDecoder>(_ d: D.Type) -> Float { Kernels.integerDot(d, row, x, blocks: blocks, pairs: pairs) }
    switch w.type {
    case .q4_0: return dot(Q4_0Decoder.self)
    case .q4_1: return dot(Q4_1Decoder.self)
    case .q5_0: return dot(Q5_0Decoder.self)
    case .q5_1: return dot(Q5_1Decoder.self)
    case .q8_0: return dot(Q8_0Decoder.self)
    case .q2_K: return dot(Q2_KDecoder.self)
    case .q3_K: return dot(Q3_KDecoder.self)
    case .q4_K: return dot(Q4_KDecoder.self)
    case .q5_K: return dot(Q5_KDecoder.self)
    case .q6_K: return dot(Q6_KDecoder.self)
    default: preconditionFailure("\(w.type) has no integer codes")
    }
}
