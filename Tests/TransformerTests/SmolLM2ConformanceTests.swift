import Foundation
import GGUF
import Kernels
import Testing
import Transformer

/// SmolLM2-135M-Instruct Q4_1 against the float64 reference on the prompts of
/// `../shared/conformance/smollm2` (ids given, so the tokenizer is not involved).
@Suite(.enabled(if: TestData.hasSmolLM2, "SmolLM2 weights or ../shared reference absent"))
struct SmolLM2ConformanceTests {
    static func argmax(_ x: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        for i in x.indices where x[i] > x[best] { best = i }
        return best
    }

    /// At every position: our logit on each of the reference's top-10 ids within `tolerance`, and
    /// the same top-1 wherever the reference's top two differ by more than `tolerance`.
    @Test("naive logits within 0.05 of exact on the top-10 ids")
    func naiveTopTen() throws {
        let model = try Model(path: TestData.smolLM2!, backend: NaiveBackend())
        let cases = try TestData.cases(TestData.smolLM2Reference)
        var worst: Double = 0
        for c in cases {
            let session = try InferenceSession(model: model, contextLength: 256)
            let logits = try session.evaluateAll(c.ids)
            let V = model.configuration.vocabularySize
            for (position, top) in c.exactTop.enumerated() {
                let row = Array(logits[position * V ..< (position + 1) * V])
                for (id, exact) in top { worst = max(worst, abs(Double(row[id]) - exact)) }
                if top[0].1 - top[1].1 > 0.05 {
                    let ours = row.indices.max { row[$0] < row[$1] }!
                    #expect(ours == top[0].0, "\(c.prompt) position \(position)")
                }
            }
        }
        print("SmolLM2 Q4_1 naive: max |Δ| on exact top-10 = \(worst)")
        #expect(worst < 0.05)
    }

    /// Greedy decoding follows the reference's greedy continuation up to the first step whose
    /// top-two margin is below 0.05 (where rounding may legitimately flip the choice).
    @Test("naive greedy follows exact_greedy")
    func naiveGreedy() throws {
        let model = try Model(path: TestData.smolLM2!, backend: NaiveBackend())
        for c in try TestData.cases(TestData.smolLM2Reference) {
            let session = try InferenceSession(model: model, contextLength: 256)
            var logits = try session.evaluate(c.ids)
            var followed = 0
            for (step, expected) in c.exactGreedy.enumerated() {
                if step < c.exactMargins.count, c.exactMargins[step] < 0.05 { break }
                let token = Self.argmax(logits)
                #expect(token == expected, "\(c.prompt): step \(step)")
                guard token == expected else { break }
                followed += 1
                logits = try session.evaluate([token])
            }
            print("SmolLM2 naive greedy '\(c.prompt)': followed \(followed) of \(c.exactGreedy.count) steps")
        }
    }
}
