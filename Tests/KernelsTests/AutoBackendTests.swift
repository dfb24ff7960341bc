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
