import GGUF
import Testing
@testable import Kernels

@Suite("auto backend: the right path for each product")
struct AutoBackendTests {
    /// Products of one to three tokens give exactly simd-q8's numbers, batches exactly the float
    /// SIMD backend's (which the SIMD tests compare with naive).
    @Test("simd-q8 for one to three tokens, the float SIMD GEMM for batches")
    func paths() throws {
        let backend = try BackendKind.auto.makeBackend(threads: 2)
        #expect(backend is AutoBackend)
        let int8 = SIMDBackend(threads: 2, activations: .int8), float = SIMDBackend(threads: 2)
        for type in [GGMLType.f32, .q4_1, .q6_K] {
            let columns = type.blockSize == 256 ? 512 : 96
            let w = TestMatrix(type: type, rows: 37, columns: columns, seed: 21)
            for count in [1, 3, 5, 13] {
                let x = randomFloats(count * columns, seed: UInt64(count))
                let expected = product(count < 4 ? int8 : float, w.matrix, x, count: count)
                #expect(product(backend, w.matrix, x, count: count) == expected, "auto \(type) by \(count)")
            }
        }
    }
}

@Suite("Products of several weights sharing their activations")
struct SharedInputProductTests {
    /// `matMul([W_0, W_1, …])` writes each weight's own product, one after the other, with the
    /// same numbers as one call per weight: x is prepared once, nothing else changes. Weights of
    /// mixed types (a float one sends the integer path back to one call per weight), token
    /// counts on both sides of the GEMM threshold.
    @Test("each part equals the weight's own product", arguments: ["naive", "simd", "simd-q8", "blas", "auto"])
    func parts(backendName: String) throws {
        let kind = try BackendKind(name: backendName)
        guard kind != .blas || CBLAS.isAvailable else { return }
        let backend = try kind.makeBackend(threads: 2)
        let groups: [[GGMLType]] = [[.q4_1, .q4_1, .q4_1], [.q4_K, .q6_K], [.q8_0, .f32, .q5_0]]
        for (g, types) in groups.enumerated() {
            let ws = types.enumerated().map { i, type in
                TestMatrix(type: type, rows: [37, 64, 5][i], columns: 512, seed: UInt64(10 * g + i))
            }
            for count in [1, 3, 5, 17] {
                let x = randomFloats(count * 512, seed: UInt64(count))
                var expected: [Float] = []
                for w in ws { expected += product(backend, w.matrix, x, count: count) }
                var y = [Float](repeating: .nan, count: expected.count)
                x.withUnsafeBufferPointer { xs in
                    y.withUnsafeMutableBufferPointer { backend.matMul(ws.map(\.matrix), xs, count: count, into: $0) }
                }
                let same = y == expected
                #expect(same, "\(backendName) \(types) by \(count)")
            }
        }
    }
}
