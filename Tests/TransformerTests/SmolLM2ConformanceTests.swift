import Foundation
import GGUF
import Kernels
import Testing
import Transformer

/// SmolLM2-135M-Instruct Q4_1 against the float64 reference on the prompts of
/// `Tests/Conformance/smollm2` (ids given, so the tokenizer is not involved).
@Suite struct SmolLM2ConformanceTests {
    static func argmax(_ x: Logits) -> Int {
        var best = 0
        for i in x.indices where x[i] > x[best] { best = i }
        return best
    }

    /// Max |Δ| between `backend`'s logits and the reference on the reference's top-10 ids, and
    /// the positions where top-1 differs though the reference's top two are more than 0.05 apart.
    static func topTenDistance(backend: any Backend) throws -> (worst: Double, flips: [String]) {
        let model = try Model(path: try TestData.smolLM2(), backend: backend)
        var worst: Double = 0
        var flips: [String] = []
        for c in try TestData.smolLM2Cases() {
            let session = try InferenceSession(model: model, contextLength: 256)
            let logits = try session.evaluateAll(c.ids)
            let V = model.configuration.vocabularySize
            for (position, top) in c.exactTop.enumerated() {
                let row = logits[position * V ..< (position + 1) * V]
                for (id, exact) in top { worst = max(worst, abs(Double(row[row.startIndex + id]) - exact)) }
                let ours = row.indices.max { row[$0] < row[$1] }! - row.startIndex
                if top[0].1 - top[1].1 > 0.05, ours != top[0].0 { flips.append("\(c.prompt) @\(position)") }
            }
        }
        return (worst, flips)
    }

    /// llama.cpp's own distance from the reference on the same ids (`top` vs `exact_top`).
    static func llamaCppDistance() throws -> Double {
        var worst: Double = 0
        for c in try TestData.smolLM2Cases() {
            for (ours, exact) in zip(c.llamaTop, c.exactTop) {
                let llama = Dictionary(ours, uniquingKeysWith: { a, _ in a })
                for (id, e) in exact { if let l = llama[id] { worst = max(worst, abs(l - e)) } }
            }
        }
        return worst
    }

    @Test("naive logits within 0.05 of exact on the top-10 ids, same top-1 where it is clear")
    func naiveTopTen() throws {
        let (worst, flips) = try Self.topTenDistance(backend: NaiveBackend())
        print("SmolLM2 Q4_1 naive: max |Δ| on exact top-10 = \(worst)")
        #expect(worst < 0.05)
        #expect(flips.isEmpty)
    }

    @Test("default backend no further from exact than llama.cpp")
    func defaultBackendTopTen() throws {
        let (worst, _) = try Self.topTenDistance(backend: try BackendKind.auto.makeBackend())
        let llama = try Self.llamaCppDistance()
        print("SmolLM2 Q4_1 auto: max |Δ| on exact top-10 = \(worst) (llama.cpp: \(llama))")
        #expect(worst <= llama)
    }

    /// Greedy decoding follows the reference's continuation up to the first step whose top-two
    /// margin is below `margin` (where rounding may legitimately flip the choice).
    static func followGreedy(backend: any Backend, margin: Double) throws {
        let model = try Model(path: try TestData.smolLM2(), backend: backend)
        for c in try TestData.smolLM2Cases() {
            let session = try InferenceSession(model: model, contextLength: 256)
            var logits = try session.evaluate(c.ids)
            var followed = 0
            for (step, expected) in c.exactGreedy.enumerated() {
                if step < c.exactMargins.count, c.exactMargins[step] < margin { break }
                let token = argmax(logits)
                #expect(token == expected, "\(c.prompt): step \(step)")
                guard token == expected else { break }
                followed += 1
                logits = try session.evaluate([token])
            }
            print("SmolLM2 \(backend.name) greedy '\(c.prompt)': followed \(followed) of \(c.exactGreedy.count) steps")
        }
    }

    @Test("naive greedy follows exact_greedy up to the first margin below 0.05")
    func naiveGreedy() throws {
        try Self.followGreedy(backend: NaiveBackend(), margin: 0.05)
    }

    @Test("default backend greedy follows exact_greedy up to the first margin below 0.5")
    func defaultGreedy() throws {
        try Self.followGreedy(backend: try BackendKind.auto.makeBackend(), margin: 0.5)
    }
}
