import Foundation
import ConformanceData
import Tokenizers

/// The tokenizer conformance data: llama.cpp's vocabulary files and test cases (fetched by
/// `Weights/setup.sh --tests`), references made with llama.cpp (`Tests/Conformance/tokenizer`),
/// and the models of `Weights/`.
enum TokenizerReferences {
    static let vocabNames = ["gpt-2", "llama-bpe", "llama-spm", "phi-3", "qwen2"]

    /// llama.cpp's test cases: texts separated by `__ggml_vocab_test__` lines, one line of ids each.
    static func vocabCases(_ name: String) throws -> [(text: String, ids: [Int])] {
        let base = try Conformance.vocabulary(name)
        let input = try String(contentsOfFile: base + ".inp", encoding: .utf8)
        var texts = input.components(separatedBy: "\n__ggml_vocab_test__\n")
        if texts.last == "" { texts.removeLast() }
        let lines = try String(contentsOfFile: base + ".out", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        return zip(texts, lines).map { text, line in (text, line.split(separator: " ").compactMap { Int($0) }) }
    }

    struct RefCase: Decodable {
        let text: String
        let ids: [Int]
        let ids_special: [Int]
        let roundtrip: String
    }

    struct RefFile: Decodable {
        let vocab: String
        let cases: [RefCase]
    }

    static func refFile(_ name: String) throws -> RefFile {
        try JSONDecoder().decode(RefFile.self, from: try Conformance.data("tokenizer/\(name).ref.json"))
    }

    /// The vocabulary a ref file names: one of llama.cpp's, or a model in Weights/.
    static func refVocabulary(_ ref: RefFile) throws -> String {
        switch ref.vocab {
        case "smollm2-135m-q4_1.gguf": try Conformance.smolLM2()
        case "gemma-3-270m-q4_k_m.gguf": try Conformance.gemma3()
        default: try Conformance.vocabulary(String(ref.vocab.dropFirst("ggml-vocab-".count).dropLast(".gguf".count)))
        }
    }
}
