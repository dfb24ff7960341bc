import Foundation
import Testing
@testable import Tokenizers

/// Token for token against llama.cpp, on the data in ../shared/conformance/tokenizer.
@Suite(.enabled(if: SharedData.exists(SharedData.tokenizerDirectory.path), "../shared/conformance/tokenizer is absent"))
struct ConformanceTests {
    @Test(arguments: SharedData.vocabNames)
    func llamaCppVocabularyCases(name: String) throws {
        let tokenizer = try Tokenizer(path: SharedData.tokenizerFile("ggml-vocab-\(name).gguf"))
        let cases = try SharedData.vocabCases(name)
        #expect(cases.count > 30)
        var passed = 0
        for (text, expected) in cases {
            let ids = tokenizer.encode(text, addBOS: false)
            #expect(ids == expected, "\(name): \(text.debugDescription)")
            if ids == expected { passed += 1 }
        }
        print("ggml-vocab-\(name): \(passed)/\(cases.count) cases match llama.cpp")
    }

    @Test(arguments: ["smollm2", "gemma3", "llama-spm", "llama-bpe"])
    func referenceStrings(name: String) throws {
        let ref = try SharedData.refFile(name)
        guard let path = SharedData.refVocabulary(ref) else {
            print("\(name): vocabulary \(ref.vocab) is absent, skipped")
            return
        }
        let tokenizer = try Tokenizer(path: path)
        var passed = 0
        for c in ref.cases {
            let ids = tokenizer.encode(c.text)
            let special = tokenizer.encode(c.text, parseSpecial: true)
            let text = tokenizer.decode(c.ids)
            #expect(ids == c.ids, "\(name) ids: \(c.text.debugDescription)")
            #expect(special == c.ids_special, "\(name) ids_special: \(c.text.debugDescription)")
            #expect(text == c.roundtrip, "\(name) roundtrip: \(c.text.debugDescription)")
            if ids == c.ids && special == c.ids_special && text == c.roundtrip { passed += 1 }
        }
        print("\(name).ref.json: \(passed)/\(ref.cases.count) strings match in ids, ids_special and roundtrip")
    }

    /// The prompts of the model conformance files: `ids` are llama.cpp's tokens, BOS as the file says.
    @Test func modelReferencePrompts() throws {
        let conformance = SharedData.tokenizerDirectory.deletingLastPathComponent()
        struct Case: Decodable { let prompt: String; let ids: [Int] }
        struct Reference: Decodable { let cases: [Case] }
        var files = [("tiny/tiny-f32.ref.json", conformance.appendingPathComponent("tiny/tiny-f32.gguf").path)]
        if let smol = SharedData.weights("SmolLM2-135M-Instruct.Q4_1.gguf") {
            files.append(("smollm2/smollm2-135m-q4_1.ref.json", smol))
        }
        for (name, model) in files {
            let data = try Data(contentsOf: conformance.appendingPathComponent(name))
            let reference = try JSONDecoder().decode(Reference.self, from: data)
            let tokenizer = try Tokenizer(path: model)
            #expect(reference.cases.count >= 3)
            for c in reference.cases {
                #expect(tokenizer.encode(c.prompt) == c.ids, "\(name): \(c.prompt.debugDescription)")
            }
        }
    }
}
