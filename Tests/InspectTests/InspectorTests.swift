import Decoding
import Foundation
import GGUF
import Inspect
import Kernels
import Testing
import Transformer

/// The data API the pictures use, the stepping trace, patching and the REPL's helpers, on the
/// tiny model of the conformance data (fast in a debug build).
@Suite struct InspectorTests {
    @Test func inspectionRunHasEveryLayerAndHead() throws {
        let (model, tokenizer) = try TestModels.load(TestModels.tiny)
        let c = model.configuration
        let run = try Inspector(model: model, tokenizer: tokenizer).run(prompt: TestModels.prompt, lensDepth: 3)
        let T = run.tokens.count
        #expect(run.tokenLabels.count == T && run.layerCount == c.blockCount && run.headCount == c.headCount)
        // Same numbers as a cached run.
        let session = try InferenceSession(model: model, contextLength: T)
        let cached = try session.run(run.tokens, cache: HookFilter(["pattern 1"]))
        #expect(run.pattern(layer: 1).flatMap { $0.flatMap { $0 } } == cached.cache[.pattern(1)]!.values)
        #expect(run.pattern(layer: 0).count == c.headCount && run.pattern(layer: 0)[0].count == T)
        let lens = run.logitLens(top: 2)
        #expect(lens.count == c.blockCount && lens[0].count == T && lens[0][0].count == 2)
        #expect(lens.last!.map { $0.map(\.id) } == run.predictions.map { $0.prefix(2).map(\.id) })
        #expect(lens[0][0][0].probability >= lens[0][0][1].probability)
        let norms = run.residualNorms()
        #expect(norms.count == c.blockCount + 1 && norms.allSatisfy { $0.count == T && $0.allSatisfy { $0 > 0 } })
    }

    @Test func replacingTheResidualStreamGivesTheCleanLogits() throws {
        let (model, _) = try TestModels.load(TestModels.tiny)
        let clean = [10, 20, 30, 40], corrupted = [11, 21, 31, 41]
        let session = try InferenceSession(model: model, contextLength: 8)
        let reference = try session.run(clean, cache: HookFilter(["resid_pre 1"]))
        session.reset()
        let other = try session.run(corrupted).logits
        session.reset()
        let patched = try session.run(corrupted, patches: [.replace(with: reference.cache[.residPre(1)]!)]).logits
        #expect(other != reference.logits)
        #expect(patched == reference.logits)
    }

    @Test func traceRecordsEveryPointInOrder() throws {
        let (model, _) = try TestModels.load(TestModels.tiny)
        let trace = try ForwardTrace(model: model, tokens: [1, 2, 3])
        #expect(trace.steps.map(\.point) == HookPoint.all(blocks: model.configuration.blockCount))
        #expect(trace.firstStep(ofBlock: 1) == 21)
        #expect(trace.steps.last!.values == trace.logits)
    }

    @Test func samplerStagesNarrowTheDistribution() {
        let logits: [Float] = [4, 3, 2, 1, 0, -1]
        let view = SamplerView(temperature: 0.5, topK: 4, topP: 0.9)
        let stages = view.stages(logits, k: 6, tokenizer: nil)
        #expect(stages.map(\.name) == ["softmax(logits)", "top-k 4", "top-p 0.9", "temperature 0.5"])
        #expect(stages.map(\.remaining) == [6, 4, stages[2].remaining, stages[2].remaining])
        #expect(stages[2].remaining < 4)
        #expect(stages[3].top[0].probability > stages[2].top[0].probability)
        #expect(abs(stages[0].top.reduce(0) { $0 + $1.probability } - 1) < 1e-6)
        #expect(SamplerView(temperature: 0).sample(logits, seed: 1) == 0)
    }

    /// min-p and the repetition penalty have their stages, in `generate`'s order, with the same
    /// distributions as `generate`'s chain (`SamplingParameters.makeChain`) after the same context.
    @Test func minPAndRepetitionPenaltyStagesAsGenerate() {
        let logits: [Float] = [4, 3.5, 2, 1, 0, -1, -3]
        let context = [0, 6]
        var view = SamplerView(temperature: 0.8, topK: 40, topP: 0.95)
        view.minP = 0.2
        view.repeatPenalty = 1.5
        let stages = view.stages(logits, context: context, k: 7, tokenizer: nil)
        #expect(stages.map(\.name) == ["softmax(logits)", "repeat-penalty 1.5 (last 64)", "top-k 40", "top-p 0.95",
                                       "min-p 0.2", "temperature 0.8"])
        func p(_ stage: SamplerView.Stage, _ id: Int) -> Float { stage.top.first { $0.id == id }?.probability ?? 0 }
        // The penalty divides token 0's positive logit by 1.5 and multiplies token 6's negative one: both fall.
        #expect(p(stages[1], 0) < p(stages[0], 0))
        #expect(p(stages[1], 6) < p(stages[0], 6))
        #expect(p(stages[1], 1) > p(stages[1], 0))
        // min-p keeps the tokens at least 20 % as likely as the most likely one (3 of top-p's 4).
        let best = stages[3].top[0].probability
        #expect(stages[4].remaining == stages[3].top.filter { $0.probability >= 0.2 * best }.count)
        #expect(stages[4].remaining < stages[3].remaining)

        let chain = SamplingParameters(temperature: 0.8, topK: 40, topP: 0.95, minP: 0.2, repeatPenalty: 1.5, seed: 1).makeChain()
        for token in context { chain.accept(token) }
        let generate = logits.withUnsafeBufferPointer { SamplerView.stages(of: chain, logits: $0, k: 7, tokenizer: nil).stages }
        #expect(Array(generate.map(\.name).dropLast()) == stages.map(\.name))
        for (a, b) in zip(stages, generate) {
            #expect(a.remaining == b.remaining, "\(a.name)")
            #expect(zip(a.top, b.top).allSatisfy { $0.id == $1.id && abs($0.probability - $1.probability) < 1e-6 }, "\(a.name)")
        }
        // Off by default: the view shows only the samplers that are on.
        #expect(!SamplerView(temperature: 0.8, topK: 40, topP: 0.95).stages(logits, k: 3, tokenizer: nil)
            .contains { $0.name.hasPrefix("min-p") || $0.name.hasPrefix("repeat") })
    }

    @Test func summaryLikeEvalCallback() {
        let s = TensorSummary([1, 2, 3, 4, 5, 6, -.infinity], shape: [7], edge: 2)
        #expect(s.min == 1 && s.max == 6 && s.mean == 3.5 && s.maskedCount == 1)
        #expect(abs(s.std - 1.7078251) < 1e-6)
        #expect(s.first == [1, 2] && s.last == [6, -.infinity])
        #expect(s.text.contains("min 1  max 6  mean 3.5"))
    }

    @Test func quantizedBlockOpensByField() throws {
        let file = try GGUFFile(path: TestModels.tiny)
        let view = try BlockView(file: file, tensor: "blk.0.attn_q.weight", index: 2)
        #expect(view.type == .q4_1)
        #expect(view.fields.map(\.name) == ["d", "m", "qs"])
        #expect(view.fields.map(\.bytes.count) == [2, 2, 16])
        // weight = d·q + m with q the nibbles: check one by hand.
        let d = floatFromHalf(UInt16(view.fields[0].bytes[0]) | UInt16(view.fields[0].bytes[1]) << 8)
        let m = floatFromHalf(UInt16(view.fields[1].bytes[0]) | UInt16(view.fields[1].bytes[1]) << 8)
        let q0 = Float(view.fields[2].bytes[0] & 0x0F), q16 = Float(view.fields[2].bytes[0] >> 4)
        #expect(view.values[0] == d * q0 + m)
        #expect(view.values[16] == d * q16 + m)
        #expect(view.requantized != nil)
        #expect(throws: InspectError.self) { try BlockView(file: file, tensor: "blk.0.attn_q.weight", index: 1 << 30) }
        #expect(throws: InspectError.self) { try BlockView(file: file, tensor: "nope", index: 0) }
    }

    @Test func globMatching() throws {
        #expect(try HookFilter(["*hook_scale"]).points(blocks: 1) == [.ln1Scale(0), .ln2Scale(0), .lnFinalScale])
    }
}
