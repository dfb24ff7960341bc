import Decoding
import Foundation
import GGUF
import Inspect
import Kernels
import Testing
import Transformer

/// The invariants of a hooked forward pass, on every model present (tiny, SmolLM2).
@Suite struct HookedRunTests {
    static let models = TestModels.names

    private func run(_ name: String, _ filter: HookFilter = .all) throws -> (Model, [Int], HookedRunResult) {
        let (model, tokenizer) = try TestModels.load(try TestModels.path(of: name))
        let tokens = try tokenizer.promptTokens(TestModels.prompt, parseSpecial: true)
        let session = try InferenceSession(model: model, contextLength: 64)
        return (model, tokens, try session.run(tokens, cache: filter))
    }

    @Test(arguments: models)
    func patternRowsAreCausalDistributions(model name: String) throws {
        let (model, tokens, result) = try run(name, HookFilter(["blocks.*.attn.hook_pattern"]))
        let c = model.configuration
        let T = tokens.count
        #expect(result.cache.points.count == c.blockCount)
        for layer in 0 ..< c.blockCount {
            let a = try #require(result.cache[.pattern(layer)])
            #expect(a.shape == [c.headCount, T, T])
            for head in 0 ..< c.headCount {
                for q in 0 ..< T {
                    let row = a.values[(head * T + q) * T ..< (head * T + q + 1) * T]
                    let sum = row.reduce(0, +)
                    #expect(abs(sum - 1) <= 1e-5, "layer \(layer) head \(head) query \(q): sum \(sum)")
                    #expect(row.dropFirst(q + 1).allSatisfy { $0 == 0 }, "layer \(layer) head \(head) query \(q) sees the future")
                }
            }
        }
    }

    @Test(arguments: models)
    func finalNormTimesUnembeddingIsTheLogits(model name: String) throws {
        let (model, tokens, result) = try run(name, HookFilter(["ln_final.hook_normalized", "unembed.hook_out"]))
        let c = model.configuration
        let normalized = try #require(result.cache[.lnFinalNormalized])
        let logits = try #require(result.cache[.logits])
        #expect(normalized.shape == [tokens.count, c.embeddingLength])
        #expect(logits.shape == [tokens.count, c.vocabularySize])
        #expect(logits.values == result.logits)
        // Independently: dequantize W_U and sum in double precision.
        let w = model.weights.unembedding
        let gamma = model.weights.outputNorm
        var row = [Float](repeating: 0, count: c.embeddingLength)
        var worst: Double = 0
        for v in stride(from: 0, to: c.vocabularySize, by: 97) {
            row.withUnsafeMutableBufferPointer { dequantizeRow(type: w.type, from: w.row(v), count: w.columns, into: $0.baseAddress!) }
            for t in 0 ..< tokens.count {
                var sum: Double = 0
                for j in 0 ..< c.embeddingLength {
                    sum += Double(normalized.values[t * c.embeddingLength + j]) * Double(gamma[j]) * Double(row[j])
                }
                worst = max(worst, abs(sum - Double(logits.values[t * c.vocabularySize + v])))
            }
        }
        // Float sums of d ≤ 576 products of size ~1: a few 1e-4 at most (plus Q8 activations on none).
        #expect(worst < 2e-3, "max |Δlogit| \(worst)")
    }

    @Test(arguments: models)
    func residualStreamFlowsBetweenBlocks(model name: String) throws {
        let (model, _, result) = try run(name, HookFilter(["blocks.*.hook_resid_pre", "blocks.*.hook_resid_post", "hook_embed"]))
        let L = model.configuration.blockCount
        #expect(result.cache[.embed]!.values == result.cache[.residPre(0)]!.values)
        for i in 0 ..< L - 1 {
            #expect(result.cache[.residPost(i)]!.values == result.cache[.residPre(i + 1)]!.values, "block \(i)")
        }
    }

    @Test(arguments: models)
    func logitLensOfTheLastLayerIsThePrediction(model name: String) throws {
        let (model, _, result) = try run(name, HookFilter(["resid_post \(0)", "blocks.*.hook_resid_post"]))
        let last = try #require(result.cache[.residPost(model.configuration.blockCount - 1)])
        #expect(LogitLens(model: model).logits(residual: last.values) == result.logits)
    }

    @Test(arguments: models)
    func zeroingAHeadChangesTheLogitsAndRemovingThePatchRestoresThem(model name: String) throws {
        let (model, tokenizer) = try TestModels.load(try TestModels.path(of: name))
        let tokens = try tokenizer.promptTokens(TestModels.prompt, parseSpecial: true)
        let session = try InferenceSession(model: model, contextLength: 64)
        let clean = try session.run(tokens).logits
        session.reset()
        let ablated = try session.run(tokens, patches: [.zeroHead(layer: 0, head: 1)]).logits
        session.reset()
        let again = try session.run(tokens).logits
        let change = zip(clean, ablated).map { abs($0 - $1) }.max()!
        #expect(change > 1e-3, "zeroing head 1 of block 0 changed the logits by only \(change)")
        #expect(again == clean)
        // And the patch really zeroed z for that head, and nothing else.
        session.reset()
        let seen = try session.run(tokens, cache: HookFilter(["z 0"]), patches: [.zeroHead(layer: 0, head: 1)])
        let z = try #require(seen.cache[.z(0)])
        let (T, h, dHead) = (z.shape[0], z.shape[1], z.shape[2])
        for t in 0 ..< T {
            #expect(z.values[(t * h + 1) * dHead ..< (t * h + 2) * dHead].allSatisfy { $0 == 0 })
            #expect(z.values[(t * h) * dHead ..< (t * h + 1) * dHead].contains { $0 != 0 })
        }
    }

    @Test(arguments: models)
    func filterCopiesOnlyWhatIsAsked(model name: String) throws {
        let (model, tokens, result) = try run(name, HookFilter(["k 1", "kq_soft_max-0"]))
        let c = model.configuration
        #expect(Set(result.cache.points) == [.k(1), .pattern(0)])
        // K with the KV-head count, as TransformerLens documents it for grouped-query attention.
        #expect(result.cache[.k(1)]!.shape == [tokens.count, c.kvHeadCount, c.headDimension])
    }

    @Test(arguments: models)
    func cacheGrowsAtEveryGeneratedToken(model name: String) throws {
        let (model, tokenizer) = try TestModels.load(try TestModels.path(of: name))
        let c = model.configuration
        let tokens = try tokenizer.promptTokens(TestModels.prompt, parseSpecial: true)
        let session = try InferenceSession(model: model, contextLength: 64)
        let hooks = try ActivationHooks(cache: HookFilter(["pattern 0", "resid_post 0"]), blocks: c.blockCount)
        session.hooks = hooks
        var logits = Array(try session.evaluate(tokens))
        for _ in 0 ..< 3 {
            let next = logits.indices.max { logits[$0] < logits[$1] }!
            logits = Array(try session.evaluate([next]))
        }
        let T = tokens.count + 3
        #expect(hooks.cache.calls[.pattern(0)]?.count == 4)
        let pattern = try #require(hooks.cache[.pattern(0)])
        #expect(pattern.shape == [c.headCount, T, T])
        #expect(pattern.positions == Array(0 ..< T))
        for head in 0 ..< c.headCount {
            for q in 0 ..< T {
                let row = pattern.values[(head * T + q) * T ..< (head * T + q + 1) * T]
                #expect(abs(row.reduce(0, +) - 1) <= 1e-5)
                #expect(row.dropFirst(q + 1).allSatisfy { $0 == 0 })
            }
        }
        #expect(hooks.cache[.residPost(0)]!.shape == [T, c.embeddingLength])
    }
}
