import Foundation
import Tokenizers

/// Where the shared conformance data and the model weights live, relative to this package.
enum SharedData {
    /// `<package root>`, from this file's path.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let tokenizerDirectory = packageRoot.appendingPathComponent("../shared/conformance/tokenizer").standardized

    static func tokenizerFile(_ name: String) -> String { tokenizerDirectory.appendingPathComponent(name).path }
    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// A model file in `Weights/` of this package, or of the main checkout beside it.
    static func weights(_ name: String) -> String? {
        let candidates = [packageRoot.appendingPathComponent("Weights/\(name)").path,
                          packageRoot.appendingPathComponent("../main/Weights/\(name)").standardized.path]
        return candidates.first(where: exists)
    }

    static let vocabNames = ["gpt-2", "llama-bpe", "llama-spm", "phi-3", "qwen2"]

    /// llama.cpp's test cases: texts separated by `__ggml_vocab_test__` lines, one line of ids each.
    static func vocabCases(_ name: String) throws -> [(text: String, ids: [Int])] {
        let base = tokenizerFile("ggml-vocab-\(name).gguf")
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
        let data = try Data(contentsOf: URL(fileURLWithPath: tokenizerFile("\(name).ref.json")))
        return try JSONDecoder().decode(RefFile.self, from: data)
    }

    /// The vocabulary a ref file names: in the shared directory, or a model in Weights/.
    static func refVocabulary(_ ref: RefFile) -> String? {
        let shared = tokenizerFile(ref.vocab)
        if exists(shared) { return shared }
        switch ref.vocab {
        case "smollm2-135m-q4_1.gguf": return weights("SmolLM2-135M-Instruct.Q4_1.gguf")
        case "gemma-3-270m-q4_k_m.gguf": return weights("gemma-3-270m-q4_k_m.gguf")
        default: return weights(ref.vocab)
        }
    }
}
