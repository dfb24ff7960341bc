import Foundation
import Testing
import ConformanceData
import GGUF
@testable import Kernels

/// `ModelQuantizer` against llama.cpp: the conformance models were made by `llama-quantize` from
/// the committed F32 files (`--pure` to one type, or the Q4_K_M mix for `tiny-q4_k_m`), and
/// `Tests/Conformance/llama-quantize.json` keeps each of their tensors' type and a hash of its
/// bytes. Re-quantizing the F32 file must give the same tensors, byte for byte.
@Suite struct ModelQuantizerTests {
    static let quantizedFiles = (try? Conformance.quantizedFiles()) ?? [:]

    @Test func everyConformanceFileHasAFingerprint() throws {
        #expect(Self.quantizedFiles.count == 23)   // 13 tiny + 5 architectures × 2
    }

    @Test(arguments: quantizedFiles.keys.sorted())
    func sameBytesAsLlamaQuantize(key: String) throws {
        let entry = try #require(Self.quantizedFiles[key])
        let source = try GGUFFile(path: try Conformance.model(entry.source))
        let writer = try Conformance.quantize(source, recipe: entry.quantization)

        #expect(writer.values["general.file_type"] == .uint32(entry.file_type))
        #expect(writer.values["general.quantization_version"] == entry.quantization_version.map(GGUFValue.uint32))
        // llama.cpp reorders tensors; Loupe keeps the source order. Same set either way.
        #expect(writer.tensors.map(\.name).sorted() == entry.tensors.keys.sorted())
        for tensor in writer.tensors {
            let expected = try #require(entry.tensors[tensor.name])
            #expect(tensor.type.rawValue == expected.type, "\(key): \(tensor.name)")
            #expect(Conformance.fnv1a64(tensor.data) == expected.fnv1a64,
                    "\(key): \(tensor.name) (\(tensor.type)) differs from llama-quantize's bytes")
        }
        if entry.quantization == "Q4_K_M" {
            // The mix really mixes: Q4_K, Q6_K for output and some attn_v / ffn_down, F32 norms.
            #expect(Set(writer.tensors.map(\.type)) == [.q4_K, .q6_K, .f32])
        }
    }

    /// llama.cpp's layer rules on a model shaped like SmolLM2-135M (30 layers, 576 columns,
    /// tied embedding, 9 heads over 3 KV heads): the types llama-quantize chose for it.
    @Test func mixesFollowLlamaCppsLayerRules() throws {
        var model = GGUFWriter()
        model.set("general.architecture", .string("llama"))
        model.set("llama.block_count", .uint32(30))
        model.set("llama.attention.head_count", .uint32(9))
        model.set("llama.attention.head_count_kv", .uint32(3))
        model.addTensor(name: "token_embd.weight", shape: [576, 2], floats: [Float](repeating: 0.5, count: 1152))
        for layer in 0..<30 {
            for name in ["attn_v", "attn_output", "ffn_down", "attn_q"] {
                model.addTensor(name: "blk.\(layer).\(name).weight", shape: [256, 1], floats: [Float](repeating: 0.5, count: 256))
            }
            model.addTensor(name: "blk.\(layer).attn_norm.weight", shape: [256], floats: [Float](repeating: 1, count: 256))
        }
        let path = temporaryPath("layers.gguf")
        try model.write(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try GGUFFile(path: path)

        func layers(_ mix: QuantizationMix, _ name: String, _ type: GGMLType) -> [Int] {
            let types = mix.tensorTypes(of: file)
            return (0..<30).filter { types["blk.\($0).\(name).weight"] == type }
        }
        // use_more_bits(i, 30): i < 3, i >= 26, or (i − 3) % 3 == 2.
        let moreBits = [0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 26, 27, 28, 29]
        #expect(layers(.q4_K_M, "attn_v", .q6_K) == moreBits)
        #expect(layers(.q4_K_M, "ffn_down", .q6_K) == moreBits)
        #expect(layers(.q5_K_M, "ffn_down", .q6_K) == moreBits)
        #expect(layers(.q4_K_M, "attn_q", .q4_K).count == 30)
        #expect(layers(.q3_K_M, "attn_v", .q5_K) == [0, 1])
        #expect(layers(.q3_K_M, "ffn_down", .q5_K) == [0])
        #expect(layers(.q3_K_M, "attn_output", .q4_K).count == 30)
        #expect(layers(.q4_K_S, "attn_v", .q5_K) == [0, 1, 2, 3])
        #expect(layers(.q4_K_S, "ffn_down", .q5_K) == [0, 1, 2])
        #expect(layers(.q2_K, "attn_v", .q3_K).count == 30)   // 9 / 3 heads < 4: Q3_K, not Q4_K
        #expect(layers(.q2_K, "attn_q", .q2_K).count == 30)
        // The tied embedding gets the output's type: Q6_K, but 576 is not whole blocks of 256: Q8_0.
        #expect(QuantizationMix.allCases.allSatisfy { $0.tensorTypes(of: file)["token_embd.weight"] == .q8_0 })
        #expect(QuantizationMix.q4_K_M.tensorTypes(of: file)["blk.0.attn_norm.weight"] == .f32)
        // llama-quantize Q4_0 without --pure: the same rule for the tied embedding only.
        var reports: [ModelQuantizer.TensorReport] = []
        _ = try ModelQuantizer.quantize(file, to: .q4_0, pure: false) { reports.append($0) }
        #expect(reports.filter { $0.to != .q4_0 && $0.to != .f32 }.map(\.name) == ["token_embd.weight"])
        #expect(reports.first { $0.name == "token_embd.weight" }?.to == .q8_0)
    }

    /// Written to disk and read back, the file has every key, tensor and byte of the writer.
    @Test func roundTripsThroughGGUFWriterAndFile() throws {
        var generator = SplitMix(seed: 3)
        var model = GGUFWriter()
        model.set("general.architecture", .string("llama"))
        model.set("general.file_type", .uint32(0))
        model.set("llama.embedding_length", .uint32(64))
        let embedding = (0..<64 * 10).map { _ in generator.nextGaussian() }
        let norm = (0..<64).map { _ in 1 + generator.nextGaussian() * 0.1 }
        let odd = (0..<48 * 4).map { _ in generator.nextGaussian() }   // 48 columns: not whole K blocks
        model.addTensor(name: "token_embd.weight", shape: [64, 10], floats: embedding)
        model.addTensor(name: "output_norm.weight", shape: [64], floats: norm)
        model.addTensor(name: "blk.0.odd.weight", shape: [48, 4], floats: odd)
        let sourcePath = temporaryPath("source.gguf")
        try model.write(to: sourcePath)

        let source = try GGUFFile(path: sourcePath)
        var reports: [ModelQuantizer.TensorReport] = []
        let writer = try ModelQuantizer.quantize(source, to: .q4_K) { reports.append($0) }
        let outPath = temporaryPath("q4_k.gguf")
        try writer.write(to: outPath)
        let result = try GGUFFile(path: outPath)

        #expect(result.metadata["general.architecture"] == .string("llama"))
        #expect(result.metadata["general.file_type"] == .uint32(14))
        #expect(result.metadata["llama.embedding_length"] == .uint32(64))
        // 64 columns are not whole Q4_K blocks: Q5_0 as in llama.cpp; 48 are not even whole
        // Q5_0 blocks: F16. The norm stays F32.
        #expect(reports.map(\.to) == [.q5_0, .f32, .f16])
        #expect(result.tensors.map(\.type) == [.q5_0, .f32, .f16])
        for tensor in writer.tensors {
            let info = try result.requireTensor(tensor.name)
            #expect(info.shape == tensor.shape)
            #expect(result.data(of: info).elementsEqual(tensor.data))
        }
        // The norm stays exact; the weights come back close.
        let normBack = result.floats(of: try result.requireTensor("output_norm.weight"))
        #expect(Array(normBack) == norm)
        let oddInfo = try result.requireTensor("blk.0.odd.weight")
        var oddBack = [Float](repeating: 0, count: odd.count)
        for r in 0..<4 {
            dequantizeRow(type: oddInfo.type, from: result.data(of: oddInfo).baseAddress! + r * oddInfo.rowByteCount,
                          count: 48, into: &oddBack[48 * r])
        }
        let maxError = zip(odd, oddBack).map { abs($0 - $1) }.max()!
        #expect(maxError < 0.1)
    }

    @Test func refusesTypesItCannotWrite() throws {
        var model = GGUFWriter()
        model.addTensor(name: "w.weight", shape: [32, 2], floats: [Float](repeating: 1, count: 64))
        let path = temporaryPath("refuse.gguf")
        try model.write(to: path)
        let source = try GGUFFile(path: path)
        #expect(throws: ModelQuantizerError.unsupportedTarget(.iq2_XS)) {
            try ModelQuantizer.quantize(source, to: .iq2_XS)
        }
        #expect(ModelQuantizerError.unsupportedTarget(.iq2_XS).description.contains("Q4_1"))
    }

    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("loupe-kernels-\(getpid())-\(name)").path
    }
}
