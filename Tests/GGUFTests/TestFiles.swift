import Foundation
import GGUF
import Testing
import ConformanceData

/// Where the tests find data: the conformance files (`ConformanceData`) and `Weights/`.
enum TestFiles {
    /// Every conformance model: the tiny llama models, the architecture families, and
    /// llama.cpp's vocabulary-only files.
    static func conformanceModels() throws -> [String] {
        try tinyModels()
            + Conformance.architectures.flatMap { arch in
                try Conformance.architectureTypes.map { try Conformance.archModel(arch, $0) }
            }
            + ["gpt-2", "llama-bpe", "llama-spm", "phi-3", "qwen2"].map(Conformance.vocabulary)
    }

    /// The tiny models, one per quantization.
    static func tinyModels() throws -> [String] { try Conformance.tinyModels.map(Conformance.tinyModel) }
}

/// The error parsing `bytes` as a GGUF file named `name` gives, or nil when it parses.
func parseError(_ bytes: [UInt8], name: String = "test.gguf") -> GGUFError? {
    bytes.withUnsafeBytes { raw in parseError(raw, name: name) }
}

/// The error parsing `raw` gives, or nil when it parses (the file is not kept: `raw` may die).
func parseError(_ raw: UnsafeRawBufferPointer, name: String = "test.gguf") -> GGUFError? {
    gguferror { _ = try GGUFFile(mapping: MappedFile(unownedBytes: raw, path: name)) }
}

/// The `GGUFError` that `body` throws, or nil. Any other error is a bug and is recorded as such.
func gguferror(_ body: () throws -> Void) -> GGUFError? {
    do {
        try body()
        return nil
    } catch let error as GGUFError {
        return error
    } catch {
        Issue.record("not a GGUFError: \(error)")
        return nil
    }
}

/// A small, fully valid file with one tensor of each of a few types.
func sampleFile(alignment: Int = 32) -> GGUFWriter {
    var w = GGUFWriter(alignment: alignment)
    w.set("general.architecture", .string("llama"))
    w.set("general.name", .string("sample ✓"))
    w.set("llama.block_count", .uint32(2))
    w.set("llama.rope.freq_base", .float32(10000))
    w.set("test.u8", .uint8(200))
    w.set("test.i8", .int8(-5))
    w.set("test.u16", .uint16(65000))
    w.set("test.i16", .int16(-300))
    w.set("test.i32", .int32(-70000))
    w.set("test.u64", .uint64(UInt64.max))
    w.set("test.i64", .int64(Int64.min))
    w.set("test.f64", .float64(2.5))
    w.set("test.bool", .bool(true))
    w.set("tokenizer.ggml.tokens", .array(elementType: .string, [.string("a"), .string("b"), .string("")]))
    w.set("tokenizer.ggml.scores", .array(elementType: .float32, [.float32(-1), .float32(0.5), .float32(2)]))
    w.set("test.nested", .array(elementType: .array, [
        .array(elementType: .int32, [.int32(1), .int32(2)]),
        .array(elementType: .string, [.string("x")]),
    ]))
    w.addTensor(name: "token_embd.weight", shape: [4, 3], floats: (0 ..< 12).map { Float($0) / 4 })
    w.addTensor(name: "blk.0.attn_q.weight", type: .q8_0, shape: [32, 2], data: (0 ..< 68).map { UInt8($0) })
    w.addTensor(name: "blk.0.ffn_norm.weight", type: .f16, shape: [5], data: Array(repeating: 0x3C, count: 10))
    return w
}
