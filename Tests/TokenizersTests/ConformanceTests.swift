import Foundation
import Testing
import ConformanceData
@testable import Tokenizers

/// Token for token against llama.cpp: its own vocabulary test cases, and references it made.
@Suite struct ConformanceTests {
    @Test(arguments: TokenizerReferences.vocabNames)
    func llamaCppVocabularyCases(name: String) throws {
        let tokenizer = try Tokenizer(path: try Conformance.vocabulary(name))
        let cases = try TokenizerReferences.vocabCases(name)
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
        let ref = try TokenizerReferences.refFile(name)
        let tokenizer = try Tokenizer(path: try TokenizerReferences.refVocabulary(ref))
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
        struct Case: Decodable { let prompt: String; let ids: [Int] }
        struct Reference: Decodable { let cases: [Case] }
        var files = [("tiny/tiny-f32.ref.json", try Conformance.tinyModel("tiny-f32")),
                     ("smollm2/smollm2-135m-q4_1.ref.json", try Conformance.smolLM2())]
        for arch in Conformance.architectures {
            files.append(("archs/\(arch)-f32.ref.json", try Conformance.archModel(arch, "f32")))
        }
        for (name, model) in files {
            let reference = try JSONDecoder().decode(Reference.self, from: try Conformance.data(name))
            let tokenizer = try Tokenizer(path: model)
            #expect(reference.cases.count >= 3)
            for c in reference.cases {
                #expect(tokenizer.encode(c.prompt) == c.ids, "\(name): \(c.prompt.debugDescription)")
            }
        }
    }
}
