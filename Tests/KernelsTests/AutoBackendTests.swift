import GGUF
import Testing
@testable import Kernels

@Suite("auto backend: the right path for each product")
struct AutoBackendTests {
    /// Every product gives exactly simd-q8's numbers, one token or a batch (the integer GEMM);
    /// float weights and a matrix that keeps float activations (the unembedding) take the
    /// float paths, as under `simd`.
    @Test("simd-q8's numbers at every count, float activations where a matrix keeps them")
    func paths() throws {
        let backend = try BackendKind.auto.makeBackend(threads: 2)
        #expect(backend is AutoBackend)
        let int8 = SIMDBackend(threads: 2, activations: .int8), float = SIMDBackend(threads: 2)
        for (type, keepsFloat) in [(GGMLType.f32, false), (.q4_1, false), (.q6_K, false), (.q8_0, false), (.q8_0, true)] {
            let columns = type.blockSize == 256 ? 512 : 96
            let test = TestMatrix(type: type, rows: 37, columns: columns, seed: 21)
            var w = test.matrix
            w.keepsFloatActivations = keepsFloat
            defer { withExtendedLifetime(test) {} }
            for count in [1, 3, 5, 13, 17] {
                let x = randomFloats(count * columns, seed: UInt64(count))
                let expected = product(int8, w, x, count: count)
                #expect(product(backend, w, x, count: count) == expected, "auto \(type) by \(count)")
                if keepsFloat {
                    #expect(expected == product(float, w, x, count: count), "\(type) keeping float activations by \(count)")
                }
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
