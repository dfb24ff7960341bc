import Foundation
import GGUF
import Kernels
import Testing
import Transformer

/// The forward pass against the float64 reference on the tiny random Llama, every quantization.
@Suite(.enabled(if: TestData.hasTiny, "../shared/conformance/tiny is absent"))
struct TinyConformanceTests {
    /// Logits of every case of `model` with `backend`, [case][position · V].
    static func logits(model name: String, backend: any Backend) throws -> [[Float]] {
        let model = try Model(path: TestData.tiny.appendingPathComponent(name + ".gguf").path, backend: backend)
        let cases = try TestData.cases(TestData.tiny.appendingPathComponent(name + ".ref.json"))
        return try cases.map { c in
            let session = try InferenceSession(model: model, batchSize: 4)
            return try session.evaluateAll(c.ids)
        }
    }

    @Test("naive logits within 0.01 of exact", arguments: TestData.tinyModels)
    func naiveMatchesExact(name: String) throws {
        let cases = try TestData.cases(TestData.tiny.appendingPathComponent(name + ".ref.json"))
        let ours = try Self.logits(model: name, backend: NaiveBackend())
        var worst: Double = 0
        for (c, logits) in zip(cases, ours) {
            let exact = c.exactLogits.flatMap { $0 }
            #expect(logits.count == exact.count)
            for (a, b) in zip(logits, exact) { worst = max(worst, abs(Double(a) - b)) }
        }
        print("\(name): max |Δ| vs exact = \(worst)")
        #expect(worst < 0.01)
    }
}
