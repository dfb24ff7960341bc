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
}
