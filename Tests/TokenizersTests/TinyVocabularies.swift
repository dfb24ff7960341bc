import Foundation
import GGUF
@testable import Tokenizers

/// Small vocabulary-only GGUF files made in code, so the tests never depend on downloads.
enum TinyVocabularies {
    /// A GGUF file with `metadata`, written to a fresh temporary path.
    static func file(_ metadata: [(String, GGUFValue)]) throws -> GGUFFile {
        var writer = GGUFWriter()
        for (key, value) in metadata { writer.set(key, value) }
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("loupe-tokenizer-\(UUID().uuidString).gguf").path
        try writer.write(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }   // the mapping stays valid
        return try GGUFFile(path: path)
    }

    static func strings(_ values: [String]) -> GGUFValue { .array(elementType: .string, values.map { .string($0) }) }
    static func int32s(_ values: [Int]) -> GGUFValue { .array(elementType: .int32, values.map { .int32(Int32($0)) }) }
    static func floats(_ values: [Float]) -> GGUFValue { .array(elementType: .float32, values.map { .float32($0) }) }

    /// GPT-2 style: the 256 byte characters (ids 0…255, in byte order), merged tokens, then
    /// `<|endoftext|>` (control), `<|im_start|>`, `<|im_end|>` (control) and `<tool>` (user-defined).
    static let bpeMerges = ["h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "Ġwor l", "Ġworl d", "Ġ Ġ"]
    static var bpeTokens: [String] {
        var tokens = (0 ..< 256).map { String(UnicodeScalar(GPT2ByteMapping.characterOfByte[$0])!) }
        tokens += ["he", "ll", "hell", "hello", "Ġw", "or", "Ġwor", "Ġworl", "Ġworld", "ĠĠ"]
        tokens += ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<tool>"]
        return tokens
    }

    static func bpe(pre: String? = "gpt-2", extra: [(String, GGUFValue)] = []) throws -> GGUFFile {
        let tokens = bpeTokens
        var types = [Int](repeating: 1, count: tokens.count)
        types[tokens.count - 4] = 3
        types[tokens.count - 3] = 3
        types[tokens.count - 2] = 3
        types[tokens.count - 1] = 4
        var metadata: [(String, GGUFValue)] = [
            ("general.architecture", .string("llama")),
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.tokens", strings(tokens)),
            ("tokenizer.ggml.token_type", int32s(types)),
            ("tokenizer.ggml.merges", strings(bpeMerges)),
            ("tokenizer.ggml.bos_token_id", .uint32(UInt32(tokens.count - 3))),
            ("tokenizer.ggml.eos_token_id", .uint32(UInt32(tokens.count - 2))),
        ]
        if let pre { metadata.append(("tokenizer.ggml.pre", .string(pre))) }
        return try file(metadata + extra)
    }

    static func bpeID(_ text: String) -> Int { bpeTokens.firstIndex(of: text)! }

    /// SentencePiece style: `<unk>`, `<s>`, `</s>`, the 256 byte tokens, then pieces with scores.
    static let spmPieces: [(String, Float)] = [("▁", -1), ("h", -2), ("e", -2), ("l", -2), ("o", -2), ("w", -2), ("r", -2), ("d", -2),
                                               ("he", -3), ("ll", -3), ("hell", -4), ("hello", -5), ("▁hello", -6),
                                               ("or", -3), ("▁w", -3), ("▁wor", -4), ("▁world", -5), ("ld", -3)]
    static var spmTokens: [String] {
        ["<unk>", "<s>", "</s>"] + (0 ..< 256).map { String(format: "<0x%02X>", $0) } + spmPieces.map(\.0)
    }

    static func spm(extra: [(String, GGUFValue)] = []) throws -> GGUFFile {
        let tokens = spmTokens
        let types = [2, 3, 3] + [Int](repeating: 6, count: 256) + [Int](repeating: 1, count: spmPieces.count)
        let scores = [Float](repeating: 0, count: 259) + spmPieces.map(\.1)
        return try file([
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.tokens", strings(tokens)),
            ("tokenizer.ggml.scores", floats(scores)),
            ("tokenizer.ggml.token_type", int32s(types)),
        ] + extra)
    }

    static func spmID(_ text: String) -> Int { spmTokens.firstIndex(of: text)! }
}
