import Foundation
import GlassBox
import Inspect
import Testing
import Transformer

/// Every tensor the API returns equals what `loupe dump` writes for the same prompt and hook.
@Suite("Glass-box API", .serialized)
struct APITests {
    static let hooks = ["hook_embed", "blocks.0.attn.hook_pattern", "blocks.2.attn.hook_attn_scores", "blocks.3.attn.hook_z",
                        "blocks.5.mlp.hook_post", "blocks.29.hook_resid_post", "ln_final.hook_normalized"]

    @Test("activations by hook name equal loupe dump's .npy files (JSON, with −∞ as null, and .npy bytes)")
    func activationsEqualDump() async throws {
        let box = try #require(Fixture.box)
        let dir = try Fixture.dump(Self.hooks)
        defer { try? FileManager.default.removeItem(at: dir) }
        for hook in Self.hooks {
            let file = dir.appendingPathComponent(hook + ".npy")
            let expected = try NPY(contentsOf: file)
            let request = ActivationRequest(prompt: Fixture.prompt, hook: hook)
            let json = try await box.inspect { try $0.activationJSON(request) }
            #expect(json.name == hook)
            #expect(json.shape == expected.shape, "\(hook)")
            #expect(json.values.map { $0 ?? -.infinity } == expected.values, "\(hook)")
            let npy = try await box.inspect { try $0.activationNPY(request) }
            #expect(npy.bytes == [UInt8](try Data(contentsOf: file)), "\(hook).npy")
        }
    }

    @Test("attention of a layer, residual norms and the lens's last row agree with loupe dump")
    func viewsEqualDump() async throws {
        let box = try #require(Fixture.box)
        let dir = try Fixture.dump(["blocks.*.attn.hook_pattern", "hook_embed", "blocks.*.hook_resid_post"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let prompt = PromptRequest(prompt: Fixture.prompt)
        let tokens = try await box.inspect { try $0.tokenize(prompt) }.tokens
        #expect(tokens.map(\.piece) == ["The", " capital", " of", " France", " is"])
        for layer in [0, 7, 29] {
            let a = try await box.inspect { try $0.attention(AttentionRequest(prompt: Fixture.prompt, layer: layer)) }
            let npy = try NPY(contentsOf: dir.appendingPathComponent("blocks.\(layer).attn.hook_pattern.npy"))
            #expect([a.heads, a.tokens, a.tokens] == npy.shape)
            #expect(a.patterns?.flatMap { $0.flatMap { $0 } } == npy.values, "layer \(layer)")
            // The page's format: the same values as float32 bytes.
            let f = try await box.inspect { try $0.attention(AttentionRequest(prompt: Fixture.prompt, layer: layer, format: "float32")) }
            let bytes = try #require(f.float32.flatMap { Data(base64Encoded: $0) })
            #expect(bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } == npy.values, "layer \(layer), float32")
            #expect(f.patterns == nil)
        }
        let norms = try await box.inspect { try $0.norms(prompt) }
        let names = ["hook_embed"] + (0 ..< 30).map { "blocks.\($0).hook_resid_post" }
        #expect(norms.norms.count == 31)
        for (i, name) in names.enumerated() {
            let x = try NPY(contentsOf: dir.appendingPathComponent(name + ".npy"))
            let d = x.shape[1]
            let expected = (0 ..< x.shape[0]).map { t in x.values[t * d ..< (t + 1) * d].reduce(Float(0)) { $0 + $1 * $1 }.squareRoot() }
            #expect(norms.norms[i] == expected, "\(name)")
        }
        // The lens of the last block is the model's own prediction: " Paris" after " is".
        let lens = try await box.inspect { try $0.lens(LensRequest(prompt: Fixture.prompt, top: 1)) }
        #expect(lens.positions == [0, 1, 2, 3, 4])
        #expect(lens.rows.count == 30)
        #expect(lens.model[4][0].piece == " Paris")
        #expect(lens.rows[29][4][0].id == lens.model[4][0].id)
    }

    @Test("steps: every hook point once, in order, with the lecture's explanation in English and French")
    func steps() async throws {
        let box = try #require(Fixture.box)
        let en = try await box.inspect { try $0.steps(StepsRequest(prompt: Fixture.prompt, lang: "en")) }.steps
        let fr = try await box.inspect { try $0.steps(StepsRequest(prompt: Fixture.prompt, lang: "fr")) }.steps
        #expect(en.map(\.name) == HookPoint.all(blocks: 30).map(\.name))
        #expect(en[0].explanation.hasPrefix("Embedding"))
        #expect(fr.first { $0.kind == "pattern" }?.explanation.hasPrefix("Motif d'attention") == true)
        let pattern = try #require(en.first { $0.name == "blocks.0.attn.hook_attn_scores" })
        #expect(pattern.shape == [9, 5, 5])
        #expect(pattern.summary.masked == 90)
        let counted: Int = pattern.histogram.counts.reduce(0, +)
        #expect(counted == 135)   // 9 heads × 25 cells − 90 masked
        let embed = en[0]
        let dir = try Fixture.dump(["hook_embed"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let x = try NPY(contentsOf: dir.appendingPathComponent("hook_embed.npy"))
        let reference = TensorSummary(x.values, shape: x.shape)
        #expect(embed.summary.min == reference.min && embed.summary.max == reference.max)
        #expect(abs(embed.summary.mean - reference.mean) < 1e-9 && abs(embed.summary.std - reference.std) < 1e-9)
    }

    @Test("interventions: no ablation changes nothing; switching off a head, an attention or an MLP moves the distribution")
    func interventions() async throws {
        let box = try #require(Fixture.box)
        let none = try await box.inspect { try $0.intervene(InterveneRequest(prompt: Fixture.prompt, ablations: [])) }
        #expect(none.largestChange == 0)
        #expect(none.rows.allSatisfy { $0.original == $0.ablated })
        for spec in [AblationSpec(kind: "head", layer: 0, head: 0), AblationSpec(kind: "attn", layer: 3), AblationSpec(kind: "mlp", layer: 0)] {
            let r = try await box.inspect { try $0.intervene(InterveneRequest(prompt: Fixture.prompt, ablations: [spec])) }
            #expect(r.largestChange > 0, "\(spec)")
        }
        // The ablated activation is the one `loupe inspect`'s patch makes: z of head 0 is 0.
        let z = try await box.inspect {
            try $0.activation(ActivationRequest(prompt: Fixture.prompt, ablations: [AblationSpec(kind: "head", layer: 2, head: 4)], hook: "z 2"))
        }
        let (T, h, d) = (z.shape[0], z.shape[1], z.shape[2])
        #expect((0 ..< T).allSatisfy { t in (0 ..< d).allSatisfy { z.values[(t * h + 4) * d + $0] == 0 } })
        await #expect(throws: APIError.self) {
            try await box.inspect { try $0.intervene(InterveneRequest(prompt: Fixture.prompt, ablations: [AblationSpec(kind: "head", layer: 0, head: 9)])) }
        }
    }

    @Test("next: the stages of generate's chain, and the drawn token; generate streams tokens with their stages")
    func samplers() async throws {
        let box = try #require(Fixture.box)
        let next = try await box.inspect {
            try $0.next(NextRequest(prompt: Fixture.prompt, sampling: SamplingSettings(temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, seed: 1)))
        }
        #expect(next.stages.map(\.name).first == "softmax(logits)")
        #expect(next.stages.contains { $0.name.hasPrefix("top-k 40") } && next.stages.contains { $0.name.hasPrefix("min-p") })
        #expect(next.stages.last?.drawn?.id == next.drawn.id)
        #expect(next.stages[0].top[0].piece == " Paris")

        var events: [GenerateEvent] = []
        try box.generate(GenerateRequest(prompt: Fixture.prompt, sampling: SamplingSettings(temperature: 0), maxTokens: 3)) { events.append($0) }
        let tokens = events.filter { $0.type == "token" }
        #expect(events.first?.type == "start" && events.last?.type == "done")
        #expect(tokens.count == 3)
        #expect(tokens[0].piece == " Paris")
        #expect(tokens.allSatisfy { ($0.stages?.count ?? 0) >= 2 && $0.probability != nil })
    }

    @Test("kernels and block: the product of a step on each backend, one quantized block")
    func kernelsAndBlock() async throws {
        let box = try #require(Fixture.box)
        let k = try await box.inspect { try $0.kernels(KernelsRequest(prompt: Fixture.prompt, hook: "blocks.1.mlp.hook_pre")) }
        #expect(k.weight == "blk.1.ffn_gate.weight")
        #expect(k.inputShape == [5, 576])
        #expect(k.results.first?.backend == "naive" && k.results.first?.maxDifference == 0)
        #expect(k.results.count + k.missing.count == 3)
        let b = try await box.inspect { try $0.block(tensor: "blk.0.attn_q.weight", index: 0) }
        #expect(b.values.count == 32 && b.fields.map(\.name) == ["d", "m", "qs"])
        #expect(throws: APIError.self) { try box.block(tensor: "nope", index: 0) }
    }
}
