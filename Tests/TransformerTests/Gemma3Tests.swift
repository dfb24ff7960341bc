import Foundation
import GGUF
import Kernels
import Testing
import Transformer

/// The real Gemma 3 270M (Q4_K_M, with Q5_0, Q6_K and Q8_0 matrices): read as llama.cpp reads
/// it, and answering sensibly. (Its exact conformance is checked on the tiny gemma3 models.)
@Suite
struct Gemma3Tests {
    /// "<bos>The capital of France is", as llama.cpp tokenizes it.
    static let prompt = [2, 818, 5279, 529, 7001, 563]
    static let paris = 9079

    @Test("the description: q/k norms, post-norms, GELU-tanh, √d, window 512 on 15 of 18 layers, local base 10000")
    func description() throws {
        let model = try Model(path: try TestData.gemma3(), backend: NaiveBackend())
        let c = model.configuration
        let a = c.architecture
        #expect(c.headDimension == 256 && c.queryWidth == 1024 && c.embeddingLength == 640 && c.kvHeadCount == 1)
        #expect(a.queryKeyNorm && a.postNorms && a.activation == .geluTanh && a.tiedOutput)
        #expect(a.embeddingScale == Float(640).squareRoot() && a.attentionScale == 1 / 16)
        #expect(a.slidingWindow?.size == 512 && a.slidingWindow?.ropeBase == 10_000)
        #expect(a.slidingWindow?.isLocal.filter { !$0 }.count == 3 && a.isLocal(block: 5) == false && a.isLocal(block: 4))
        #expect(c.rope.style == .neox && c.rope.freqBase == 1_000_000)
        #expect(model.rope(block: 0, contextLength: 4096).freqBase == 10_000)
        #expect(model.rope(block: 5, contextLength: 4096).freqBase == 1_000_000)
    }

    @Test("\"The capital of France is\": Paris among the five most likely next tokens, on every backend")
    func paris() throws {
        for kind in [BackendKind.simd, .simdQ8, .blas, .auto] {
            guard let backend = try? kind.makeBackend(threads: 2) else { continue }
            let session = try InferenceSession(model: try Model(path: try TestData.gemma3(), backend: backend), contextLength: 64)
            let logits = Array(try session.evaluate(Self.prompt))
            let top5 = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(5)
            #expect(top5.contains(Self.paris), "\(kind): top 5 \(Array(top5))")
        }
    }

    @Test("naive and simd agree, and one call equals token by token (the cache, local and global layers)")
    func consistency() throws {
        let simd = try Model(path: try TestData.gemma3(), backend: try BackendKind.simd.makeBackend(threads: 2))
        let whole = Array(try InferenceSession(model: simd, contextLength: 64).evaluate(Self.prompt))
        let stepwise = try InferenceSession(model: simd, contextLength: 64)
        for token in Self.prompt.dropLast() { _ = try stepwise.evaluate([token]) }
        let last = Array(try stepwise.evaluate([Self.prompt.last!]))
        #expect(zip(whole, last).map { abs($0 - $1) }.max()! < 1e-3)

        let naive = try Model(path: try TestData.gemma3(), backend: NaiveBackend())
        let reference = Array(try InferenceSession(model: naive, contextLength: 64).evaluate(Self.prompt))
        let range = reference.max()! - reference.min()!
        #expect(zip(whole, reference).map { abs($0 - $1) }.max()! <= 1e-3 * range)
    }

    /// Every backend's greedy choice against llama.cpp's, fed llama.cpp's own continuation (so
    /// every step is compared even after a near-tie): the same token wherever llama.cpp's top two
    /// are at least `margin` apart, and the largest |Δ| on llama.cpp's top-10 logits.
    static func followLlamaCpp(_ kind: BackendKind, margin: Float) throws -> (worst: Float, compared: Int, flips: [String]) {
        let model = try Model(path: try TestData.gemma3(), backend: try kind.makeBackend(threads: 2))
        var worst: Float = 0, compared = 0, flips: [String] = []
        for c in try TestData.gemma3Cases() {
            let session = try InferenceSession(model: model, contextLength: 128)
            var logits = try session.evaluate(c.ids)
            for (step, (expected, top)) in zip(c.llamaGreedy, c.llamaTop).enumerated() {
                for (id, value) in top { worst = max(worst, abs(logits[id] - Float(value))) }
                let ours = logits.indices.max { logits[$0] < logits[$1] }!
                if Float(top[0].1 - top[1].1) >= margin {
                    compared += 1
                    if ours != expected { flips.append("'\(c.prompt.prefix(20))…' step \(step): \(ours) instead of \(expected)") }
                }
                logits = try session.evaluate([expected])
            }
        }
        return (worst, compared, flips)
    }

    @Test("greedy equals llama.cpp's at every step where its top two are 0.5 apart, on every backend but naive (English, French, chat)")
    func greedyFollowsLlamaCpp() throws {
        for kind in [BackendKind.auto, .simd, .simdQ8, .blas] where (try? kind.makeBackend(threads: 1)) != nil {
            let (worst, compared, flips) = try Self.followLlamaCpp(kind, margin: 0.5)
            print("Gemma 3 270M \(kind.rawValue): max |Δ| on llama.cpp's top-10 = \(worst), \(compared) clear steps compared")
            #expect(compared >= 100)
            #expect(flips.isEmpty, "\(kind.rawValue): \(flips)")
        }
    }
}
