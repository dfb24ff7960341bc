import ConformanceData
import Foundation
import GGUF
import Kernels
import Testing
import Transformer

/// The forward pass against the float64 reference on the tiny random Llama, every quantization,
/// every backend.
@Suite struct TinyConformanceTests {
    /// Logits of every case of `model` with `backend`, [case][position · V].
    static func logits(model name: String, backend: any Backend) throws -> [[Float]] {
        let model = try Model(path: try Conformance.tinyModel(name), backend: backend)
        let cases = try TestData.tinyCases(name)
        return try cases.map { c in
            // Chunks of 4 tokens: batches, single tokens and the cache between them all run.
            let session = try InferenceSession(model: model, batchSize: 4)
            return try session.evaluateAll(c.ids)
        }
    }

    /// The float backends other than naive that can be made here (BLAS may be missing).
    static var floatBackends: [any Backend] {
        [BackendKind.simd, .blas].compactMap { try? $0.makeBackend(threads: 2) }
    }

    /// The backends that round activations to 8 bits for one-token products, as llama.cpp does.
    static var int8Backends: [any Backend] {
        [BackendKind.simdQ8, .auto].compactMap { try? $0.makeBackend(threads: 2) }
    }

    @Test("naive within 0.01 of exact; simd and blas within 1e-3 × logit range of naive; simd-q8 and auto no further from exact than llama.cpp",
          arguments: Conformance.tinyModels)
    func conformance(name: String) throws {
        let cases = try TestData.tinyCases(name)
        let exact = cases.map { $0.exactLogits.flatMap { $0 } }
        /// max |logits − exact| over every case and position.
        func distanceFromExact(_ logits: [[Float]]) -> Double {
            zip(logits, exact).map { l, e in zip(l, e).map { abs(Double($0) - $1) }.max()! }.max()!
        }
        let naive = try Self.logits(model: name, backend: NaiveBackend())
        #expect(zip(naive, exact).allSatisfy { $0.count == $1.count })
        let worst = distanceFromExact(naive)
        let llamaWorst = zip(cases.map { $0.llamaLogits.flatMap { $0 } }, exact)
            .map { l, e in zip(l, e).map { abs($0 - $1) }.max()! }.max()!
        print("\(name): naive max |Δ| vs exact = \(worst) (llama.cpp: \(llamaWorst))")
        #expect(worst < 0.01)

        for backend in Self.floatBackends {
            let fast = try Self.logits(model: name, backend: backend)
            var ratio: Float = 0
            var delta: Float = 0
            for (f, n) in zip(fast, naive) {
                let range = n.max()! - n.min()!
                let d = zip(f, n).map { abs($0 - $1) }.max()!
                delta = max(delta, d)
                ratio = max(ratio, d / range)
            }
            print("\(name): \(backend.name) max |Δ| vs naive = \(delta) (\(ratio) × range)")
            #expect(ratio <= 1e-3, "\(name) on \(backend.name)")
        }
        for backend in Self.int8Backends {
            let distance = distanceFromExact(try Self.logits(model: name, backend: backend))
            print("\(name): \(backend.name) max |Δ| vs exact = \(distance) (llama.cpp: \(llamaWorst))")
            #expect(distance <= llamaWorst, "\(name) on \(backend.name)")
        }
    }
}
