import Foundation
import GGUF
import Kernels
import Testing
import Transformer

/// The hook points: every one is visited, in order, with its TransformerLens name and shape,
/// and a hook can patch an activation.
struct HookTests {
    static let tokens = [3, 1, 4, 1, 5]

    @Test("every hook point is visited once per call, in forward order, with the documented shape")
    func visitsEveryPoint() throws {
        let model = try Model(path: SyntheticModel().path, backend: NaiveBackend())
        let session = try InferenceSession(model: model)
        try session.evaluate([7, 7])   // two cached positions before the call we watch
        var seen: [(HookPoint, [Int], Range<Int>)] = []
        session.hooks = ClosureHooks { a in
            #expect(a.values.count == a.shape.reduce(1, *), "\(a.point)")
            seen.append((a.point, a.shape, a.positions))
        }
        try session.evaluate(Self.tokens)
        #expect(seen.map(\.0) == HookPoint.all(blocks: 2))
        let shapes = Dictionary(uniqueKeysWithValues: seen.map { ($0.0.name, $0.1) })
        #expect(shapes["hook_embed"] == [5, 16])
        #expect(shapes["blocks.0.ln1.hook_scale"] == [5, 1])
        #expect(shapes["blocks.1.attn.hook_q"] == [5, 4, 4])
        #expect(shapes["blocks.1.attn.hook_rot_k"] == [5, 2, 4])
        #expect(shapes["blocks.0.attn.hook_attn_scores"] == [4, 5, 7])
        #expect(shapes["blocks.0.attn.hook_pattern"] == [4, 5, 7])
        #expect(shapes["blocks.0.attn.hook_z"] == [5, 4, 4])
        #expect(shapes["blocks.1.mlp.hook_post"] == [5, 32])
        #expect(shapes["unembed.hook_out"] == [1, 20])
        #expect(seen.first!.2 == 2 ..< 7)
        #expect(HookPoint(name: "blocks.1.attn.hook_pattern", blocks: 2) == .pattern(1))
    }

    @Test("pattern rows are probabilities over the visible keys; masked scores are −∞")
    func causalPattern() throws {
        let model = try Model(path: SyntheticModel().path, backend: NaiveBackend())
        let session = try InferenceSession(model: model)
        var scores: [Float] = [], pattern: [Float] = []
        session.hooks = ClosureHooks { a in
            if a.point == .attnScores(1) { scores = a.copy() }
            if a.point == .pattern(1) { pattern = a.copy() }
        }
        try session.evaluate(Self.tokens)
        let T = 5
        for head in 0 ..< 4 {
            for q in 0 ..< T {
                let row = (head * T + q) * T
                let visible = pattern[row ... row + q]
                #expect(abs(visible.reduce(0, +) - 1) < 1e-5)
                for k in q + 1 ..< T {
                    #expect(pattern[row + k] == 0)
                    #expect(scores[row + k] == -.infinity)
                }
            }
        }
    }

    @Test("hooks that only read leave the logits unchanged")
    func readOnlyHooksChangeNothing() throws {
        let model = try Model(path: SyntheticModel().path, backend: NaiveBackend())
        let plain = try InferenceSession(model: model).evaluateAll(Self.tokens)
        let hooked = try InferenceSession(model: model)
        var count = 0
        hooked.hooks = ClosureHooks { _ in count += 1 }
        let logits = try hooked.evaluateAll(Self.tokens)
        #expect(count == HookPoint.all(blocks: 2).count)
        #expect(zip(plain, logits).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test("patching the embedding with another token's gives that token's logits")
    func patchingEmbedding() throws {
        let model = try Model(path: SyntheticModel().path, backend: NaiveBackend())
        var embedding: [Float] = []
        let reference = try InferenceSession(model: model)
        reference.hooks = ClosureHooks { a in if a.point == .embed { embedding = a.copy() } }
        let expected = Array(try reference.evaluate([9]))

        let patched = try InferenceSession(model: model)
        patched.hooks = ClosureHooks { a in
            if a.point == .embed { for i in a.values.indices { a.values[i] = embedding[i] } }
        }
        let logits = Array(try patched.evaluate([2]))
        #expect(zip(expected, logits).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test("patching the pattern to attend only to the first token changes the output as predicted")
    func patchingPattern() throws {
        let model = try Model(path: SyntheticModel().path, backend: NaiveBackend())
        let session = try InferenceSession(model: model)
        var z: [Float] = [], values: [Float] = []
        session.hooks = ClosureHooks { a in
            if a.point == .pattern(0) {
                a.values.update(repeating: 0)
                let T = a.shape[1], P = a.shape[2]
                for head in 0 ..< a.shape[0] { for q in 0 ..< T { a.values[(head * T + q) * P] = 1 } }
            }
            if a.point == .v(0) { values = a.copy() }
            if a.point == .z(0) { z = a.copy() }
        }
        try session.evaluate(Self.tokens)
        // Every query head h now outputs the value of position 0 of its KV head h / 2.
        for t in 0 ..< 5 {
            for head in 0 ..< 4 {
                for j in 0 ..< 4 {
                    #expect(abs(z[(t * 4 + head) * 4 + j] - values[(head / 2) * 4 + j]) < 1e-6)
                }
            }
        }
    }
}
