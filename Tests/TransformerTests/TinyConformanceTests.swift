import Foundation
import GGUF
import Kernels
import Testing
import Transformer

/// The forward pass against the float64 reference on the tiny random Llama, every quantization,
/// every backend.
@Suite(.enabled(if: TestData.hasTiny, "../shared/conformance/tiny is absent"))
struct TinyConformanceTests {
    /// Logits of every case of `model` with `backend`, [case][position · V].
    static func logits(model name: String, backend: any Backend) throws -> [[Float]] {
        let model = try Model(path: TestData.tiny.appendingPathComponent(name + ".gguf").path, backend: backend)
        let cases = try TestData.cases(TestData.tiny.appendingPathComponent(name + ".ref.json"))
        return try cases.map { c in
            // Chunks of 4 tokens: batches, single tokens and the cache between them all run.
            let session = try InferenceSession(model: model, batchSize: 4)
            return try session.evaluateAll(c.ids)
        }
    }

    /// The backends other than naive that can be made here (BLAS may be missing).
    static var fastBackends: [any Backend] {
        [BackendKind.simd, .blas, .auto].compactMap { try? $0.makeBackend(threads: 2) }
    }

    @Test("naive within 0.01 of exact; simd, blas, auto within 1e-3 × logit range of naive",
          arguments: TestData.tinyModels)
    func conformance(name: String) throws {
        let cases = try TestData.cases(TestData.tiny.appendingPathComponent(name + ".ref.json"))
        let naive = try Self.logits(model: name, backend: NaiveBackend())
        var worst: Double = 0
        var llamaWorst: Double = 0
        for (c, logits) in zip(cases, naive) {
            let exact = c.exactLogits.flatMap { $0 }
            #expect(logits.count == exact.count)
            for (a, b) in zip(logits, exact) { worst = max(worst, abs(Double(a) - b)) }
            for (a, b) in zip(c.llamaLogits.flatMap { $0 }, exact) { llamaWorst = max(llamaWorst, abs(a - b)) }
        }
        print("\(name): naive max |Δ| vs exact = \(worst) (llama.cpp: \(llamaWorst))")
        #expect(worst < 0.01)

        for backend in Self.fastBackends {
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
    }
}
