import Foundation
import GGUF
import Testing

@Suite struct WriterRoundTripTests {
    @Test(arguments: [32, 1, 64])
    func metadataAndTensorsSurviveARoundTrip(alignment: Int) throws {
        let writer = sampleFile(alignment: alignment)
        let bytes = writer.serialized()
        try bytes.withUnsafeBytes { raw in
            let file = try GGUFFile(mapping: MappedFile(unownedBytes: raw, path: "round.gguf"))
            #expect(file.version == 3)
            #expect(file.alignment == alignment)
            #expect(file.metadataKeys == writer.keys)
            for key in writer.keys { #expect(file.metadata[key] == writer.values[key], "\(key)") }
            #expect(file.tensors.map(\.name) == writer.tensors.map(\.name))
            for (info, written) in zip(file.tensors, writer.tensors) {
                #expect(info.type == written.type)
                #expect(info.shape == written.shape)
                #expect(info.fileOffset % alignment == 0)
                #expect(Array(file.data(of: info)) == written.data)
            }
            let embd = try file.requireTensor("token_embd.weight")
            #expect(embd.rows == 3 && embd.columns == 4)
            #expect(Array(file.floats(of: embd)) == (0 ..< 12).map { Float($0) / 4 })
        }
    }

    @Test func writtenFileReopensFromDisk() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-roundtrip-\(getpid()).gguf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = sampleFile()
        try writer.write(to: path)
        let file = try GGUFFile(path: path)
        #expect(file.fileSize == writer.serialized().count)
        #expect(try file.int("llama.block_count") == 2)
        #expect(try file.string("general.name") == "sample ✓")
        #expect(try file.strings("tokenizer.ggml.tokens") == ["a", "b", ""])
        #expect(try file.floats("tokenizer.ggml.scores") == [-1, 0.5, 2])
        #expect(try file.float("llama.rope.freq_base") == 10000)
        #expect(try file.bool("test.bool"))
        #expect(file.architecture == "llama")
    }

    @Test func typedAccessorsNameTheKey() throws {
        let bytes = sampleFile().serialized()
        try bytes.withUnsafeBytes { raw in
            let file = try GGUFFile(mapping: MappedFile(unownedBytes: raw, path: "keys.gguf"))
            let missing = gguferror { _ = try file.int("llama.embedding_length") }
            #expect(missing?.kind == .missingKey("llama.embedding_length"))
            #expect(missing?.description == "keys.gguf: metadata key 'llama.embedding_length' is missing")
            let wrong = gguferror { _ = try file.int("general.name") }
            #expect(wrong?.kind == .wrongType(key: "general.name", expected: "an integer", found: .string))
            #expect(try file.int("missing.key", default: 7) == 7)
            #expect(gguferror { _ = try file.strings("tokenizer.ggml.scores") } != nil)
            #expect(gguferror { _ = try file.requireTensor("output.weight") }?.kind == .missingTensor("output.weight"))
        }
    }

    @Test func everyGGMLTypeHasASize() {
        for type in GGMLType.allCases {
            #expect(type.blockSize > 0 && type.bytesPerBlock > 0, "\(type)")
            #expect(GGMLType(name: type.name) == type)
        }
        #expect(GGMLType.q4_1.byteCount(elements: 64) == 40)
        #expect(GGMLType.q4_K.byteCount(elements: 100) == nil)
        #expect(GGMLType.q6_K.isComputable && !GGMLType.iq2_XS.isComputable)
    }
}
