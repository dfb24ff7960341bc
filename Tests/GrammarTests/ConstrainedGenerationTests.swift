import Foundation
import Grammar
import Testing

/// SmolLM2 generating under grammars at temperature 0.8: every schema's output is valid JSON
/// that Python's `jsonschema` accepts, and the language grammars' output parses again.
@Suite(.serialized) struct ConstrainedGenerationTests {
    static let seeds: [UInt32] = [1, 42]

    static var schemaFiles: [URL] {
        let dir = GrammarTestSupport.fixtures.appendingPathComponent("schemas")
        return ((try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
    }

    @Test func schemasGenerateValidJSON() throws {
        guard GrammarTestSupport.requireSmolLM2() else { return }
        let files = Self.schemaFiles
        #expect(files.count >= 20)
        var cases: [(schema: String, instance: String)] = []
        for file in files {
            let data = try Data(contentsOf: file)
            let grammar = try Grammar(jsonSchema: data)
            let description = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["description"] as? String ?? ""
            for seed in Self.seeds {
                let (bytes, stop) = try GrammarTestSupport.generate(grammar, instruction: description, seed: seed)
                let text = String(decoding: bytes, as: UTF8.self)
                #expect(stop == .endOfGeneration, "\(file.lastPathComponent) seed \(seed) did not finish: \(text)")
                #expect(grammar.accepts(text), "\(file.lastPathComponent): \(text)")
                cases.append((file.path, text))
            }
        }
        let failures = try GrammarTestSupport.validate(cases)
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test(arguments: ["arithmetic", "json", "list", "chess", "c", "english", "json_arr"])
    func languageGrammarsGenerateSentences(_ name: String) throws {
        guard GrammarTestSupport.requireSmolLM2(), GrammarTestSupport.llamaGrammarFiles().count > 0 else { return }
        let grammar = try Grammar(contentsOfFile: GrammarTestSupport.llamaGrammars + "/\(name).gbnf")
        let instructions = ["arithmetic": "Write two equations.", "json": "Describe a cat.", "list": "List three fruits.",
                            "chess": "Write the first moves of a chess game.", "c": "Write a C function that adds two ints.",
                            "english": "Say hello.", "json_arr": "List two cities."]
        for seed in Self.seeds {
            let (bytes, stop) = try GrammarTestSupport.generate(grammar, instruction: instructions[name]!, seed: seed, maxTokens: 64)
            let text = String(decoding: bytes, as: UTF8.self)
            // A fresh matcher follows the whole output; a finished one is a complete sentence.
            let matcher = GrammarMatcher(grammar)
            #expect(matcher.accept(bytes: bytes), "\(name) seed \(seed): \(text)")
            if stop == .endOfGeneration { #expect(matcher.canEnd, "\(name) seed \(seed) ended early: \(text)") }
        }
    }
}
