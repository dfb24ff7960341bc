import Inspect
import Testing
import Transformer

@Suite struct HookNameTests {
    @Test func transformerLensNamesRoundTrip() {
        for point in HookPoint.all(blocks: 4) {
            #expect(HookPoint.named(point.name, blocks: 4) == point)
        }
    }

    @Test func llamaCppNodesAreAliases() {
        let expected: [String: HookPoint] = [
            "inp_embd": .embed, "attn_norm-3": .ln1Normalized(3), "Qcur-3": .rotQ(3), "Kcur-3": .rotK(3),
            "Vcur-3": .v(3), "kq-3": .attnScores(3), "kq_soft_max-3": .pattern(3), "kqv_out-3": .z(3),
            "attn_out-3": .attnOut(3), "ffn_inp-3": .residMid(3), "ffn_norm-3": .ln2Normalized(3),
            "ffn_gate-3": .mlpPre(3), "ffn_up-3": .mlpPreLinear(3), "ffn_out-3": .mlpOut(3),
            "l_out-3": .residPost(3), "result_norm": .lnFinalNormalized, "result_output": .logits,
        ]
        for (name, point) in expected {
            #expect(HookPoint.named(name, blocks: 4) == point, "\(name)")
            #expect(point.llamaCppName == name)
        }
        #expect(HookPoint.named("l_out-4", blocks: 4) == nil)
        #expect(HookPoint.named("l_out", blocks: 4) == nil)
        #expect(HookPoint.named("inp_embd-1", blocks: 4) == nil)
        #expect(HookPoint.residPre(0).llamaCppName == nil)
    }

    @Test func transformerLensShorthand() {
        #expect(HookPoint.named("pattern 3", blocks: 4) == .pattern(3))
        #expect(HookPoint.named("(\"pattern\", 3)", blocks: 4) == .pattern(3))
        #expect(HookPoint.named("pattern3", blocks: 4) == .pattern(3))
        #expect(HookPoint.named("k6", blocks: 8) == .k(6))
        #expect(HookPoint.named("resid_post 0", blocks: 4) == .residPost(0))
        #expect(HookPoint.named("normalized 2 ln2", blocks: 4) == .ln2Normalized(2))
        #expect(HookPoint.named("scale2ln1", blocks: 4) == .ln1Scale(2))
        #expect(HookPoint.named("embed", blocks: 4) == .embed)
        #expect(HookPoint.named("logits", blocks: 4) == .logits)
        #expect(HookPoint.named("pattern 4", blocks: 4) == nil)
        #expect(HookPoint.named("patern 1", blocks: 4) == nil)
    }

    @Test func filtersSelectInForwardOrder() throws {
        let points = try HookFilter(["blocks.*.hook_resid_post", "pattern 1", "hook_embed"]).points(blocks: 3)
        #expect(points == [.embed, .residPost(0), .pattern(1), .residPost(1), .residPost(2)])
        #expect(try HookFilter(["blocks.1.attn.hook_?"]).points(blocks: 3) == [.q(1), .k(1), .v(1), .z(1)])
        #expect(try HookFilter.all.points(blocks: 2).count == HookPoint.all(blocks: 2).count)
        #expect(throws: HookNameError.self) { try HookFilter(["blocks.*.hook_nothing"]).points(blocks: 3) }
        #expect(throws: HookNameError.self) { try HookFilter(["pattern 9"]).points(blocks: 3) }
    }
}
