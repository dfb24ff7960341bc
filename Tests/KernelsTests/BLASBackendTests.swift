import GGUF
import Testing
@testable import Kernels

@Suite("BLAS backend matches the naive one", .enabled(if: CBLAS.isAvailable, "no CBLAS library on this machine"))
struct BLASBackendTests {
    static let backend = try! BLASBackend(threads: 2)

    @Test("matVec, matMul and embedding", arguments: GGMLType.computable)
    func products(type: GGMLType) {
        for (name, error) in productErrors(Self.backend, type: type) {
            #expect(error <= tolerance(for: type), "\(name): relative error \(error)")
        }
    }

    @Test("products wider than one tile of rows")
    func severalTiles() {
        let w = TestMatrix(type: .q4_1, rows: BLASBackend.maximumTileRows * 2 + 37, columns: 96, seed: 11)
        for count in [1, 5] {
            let x = randomFloats(count * 96, seed: 12)
            let error = productError(product(Self.backend, w.matrix, x, count: count),
                                     product(NaiveBackend(), w.matrix, x, count: count), w.matrix, x, count: count)
            #expect(error <= 1e-4, "count \(count): \(error)")
        }
    }

    @Test("element-wise operations")
    func elementwise() {
        for (name, error) in elementwiseErrors(Self.backend) {
            #expect(error <= 1e-5, "\(name): relative error \(error)")
        }
    }
}

@Suite("Choosing a backend by name (BLAS or not)")
struct BLASBackendKindTests {
    @Test("names map to backends")
    func names() throws {
        #expect(try BackendKind(name: "SIMD") == .simd)
        #expect(try BackendKind.naive.makeBackend().name == "naive")
        #expect(try BackendKind.simd.makeBackend(threads: 1).name == "simd")
        #expect(try BackendKind.auto.makeBackend(threads: 1).name == "auto")   // needs no BLAS
        if CBLAS.isAvailable {
            #expect(try BackendKind.blas.makeBackend(threads: 1).name == "blas")
        } else {
            #expect(throws: BackendError.self) { try BackendKind.blas.makeBackend() }
        }
    }

    @Test("bad names and thread counts are typed errors")
    func errors() {
        #expect(throws: BackendError.unknownBackend("cuda")) { try BackendKind(name: "cuda") }
        #expect(throws: BackendError.invalidThreadCount(0)) { try BackendKind.simd.makeBackend(threads: 0) }
        #expect(BackendError.unknownBackend("cuda").description.contains("naive, simd, simd-q8, blas, auto"))
    }
}
