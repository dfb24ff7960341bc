import Foundation
import GGUF
import Kernels
import Testing
import Transformer

/// Bad files are refused at load time with an error naming the key or tensor.
struct ModelLoadingTests {
    func loadError(_ model: SyntheticModel) -> ModelError? {
        do {
            _ = try Model(path: model.path, backend: NaiveBackend())
            return nil
        } catch {
            return error
        }
    }

    @Test("a well-formed file loads with the configuration it declares")
    func loads() throws {
        let model = try Model(path: SyntheticModel().path, backend: NaiveBackend())
        let c = model.configuration
        #expect(c.blockCount == 2 && c.embeddingLength == 16 && c.headCount == 4 && c.kvHeadCount == 2)
        #expect(c.headDimension == 4 && c.feedForwardLength == 32 && c.vocabularySize == 20 && c.groupSize == 2)
        #expect(c.rope.dimensions == 4 && c.rope.freqBase == 10_000 && c.rope.style == .normal)
        #expect(!model.weights.tiedEmbedding)
        #expect(model.defaultContextLength == 64)
    }

    @Test("without output.weight the token embedding is the unembedding")
    func tiedEmbedding() throws {
        let model = try Model(path: SyntheticModel(tiedEmbedding: true).path, backend: NaiveBackend())
        #expect(model.weights.tiedEmbedding)
        #expect(model.weights.unembedding.name == "token_embd.weight")
    }

    @Test("unknown architecture")
    func unknownArchitecture() throws {
        let error = loadError(try SyntheticModel { $0.set("general.architecture", .string("mamba")) })
        #expect(error?.kind == .unknownArchitecture("mamba"))
        #expect(error?.description.contains("'mamba' is not supported") == true)
    }

    @Test("missing hyperparameter names the key")
    func missingKey() throws {
        // A GGUF writer cannot delete keys; a wrong type exercises the same path.
        let error = loadError(try SyntheticModel { $0.set("llama.block_count", .string("two")) })
        #expect(error?.description.contains("llama.block_count") == true)
    }

    @Test("head counts that do not divide are refused")
    func badHeads() throws {
        let error = loadError(try SyntheticModel { $0.set("llama.attention.head_count_kv", .uint32(3)) })
        #expect(error?.description.contains("llama.attention.head_count_kv") == true)
    }

    @Test("missing tensor")
    func missingTensor() throws {
        let error = loadError(try SyntheticModel(skipTensor: "blk.1.ffn_up.weight"))
        #expect(error?.kind == .missingTensor("blk.1.ffn_up.weight"))
    }

    @Test("tensor of the wrong shape")
    func wrongShape() throws {
        let error = loadError(try SyntheticModel(edit: { w in
            w.addTensor(name: "blk.0.attn_k.weight", shape: [16, 16], floats: Array(repeating: 0, count: 256))
        }, skipTensor: "blk.0.attn_k.weight"))
        #expect(error?.kind == .wrongShape(tensor: "blk.0.attn_k.weight", expected: [16, 8], found: [16, 16]))
    }

    @Test("tensor of a type Loupe does not compute, named with its offset and the computable types")
    func uncomputableType() throws {
        let model = try SyntheticModel(edit: { w in
            let bytes = GGMLType.iq4_NL.byteCount(elements: 16 * 16)!
            w.addTensor(name: "blk.1.attn_q.weight", type: .iq4_NL, shape: [32, 8], data: Array(repeating: 0, count: bytes))
        }, skipTensor: "blk.1.attn_q.weight")
        let error = loadError(model)
        guard case .uncomputableType(let name, let type, _) = error?.kind else {
            Issue.record("expected uncomputableType, got \(String(describing: error))")
            return
        }
        #expect(name == "blk.1.attn_q.weight" && type == .iq4_NL)
        #expect(error!.description.contains("has type IQ4_NL at offset"))
        #expect(error!.description.contains("Loupe computes F32, F16, BF16"))
    }

    @Test("a non-GGUF file gives the GGUF reader's error")
    func notGGUF() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-not-gguf.bin").path
        try Data("hello world, not a model".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ModelError.self) { try Model(path: path, backend: NaiveBackend()) }
    }
}
