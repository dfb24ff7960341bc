import Foundation
import Testing

/// `--grammar`, `--json-schema`, `--json-object` on `generate`, and `grammar`/`schema` in `inspect`.
@Suite
struct GrammarCommandTests {
    static func temporaryFile(_ name: String, _ contents: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-\(getpid())-\(name)").path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let chat = "<|im_start|>user\nInvoice of Jean Dupont, 12 euros. Answer in JSON.<|im_end|>\n<|im_start|>assistant\n"

    @Test func generateWithSchemaPrintsValidJSON() throws {
        let schema = try Self.temporaryFile("schema.json",
            #"{"type":"object","properties":{"nom":{"type":"string","maxLength":20},"montant":{"type":"integer","minimum":0,"maximum":999}},"required":["nom","montant"]}"#)
        let run = try Loupe.run(["generate", "-m", Loupe.smolLM2, "-p", Self.chat, "-n", "64", "--seed", "3",
                                 "--json-schema", schema, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let text = (try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])?["text"] as? String ?? ""
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(object?["nom"] is String, "\(text)")
        #expect((object?["montant"] as? Int).map { (0 ... 999).contains($0) } == true, "\(text)")
    }

    @Test func generateWithGrammarAndJSONObject() throws {
        let gbnf = try Self.temporaryFile("yesno.gbnf", "root ::= (\"yes\" | \"no\") \"\\n\"\n")
        let run = try Loupe.run(["generate", "-m", Loupe.smolLM2, "-p", "Is Paris in France? Answer:", "-n", "8",
                                 "--temp", "0", "--grammar", gbnf, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let text = (try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])?["text"] as? String
        #expect(text == "yes\n" || text == "no\n", "\(text ?? run.stdout)")

        let any = try Loupe.run(["generate", "-m", Loupe.smolLM2, "-p", Self.chat, "-n", "48", "--seed", "1", "--json-object", "--json"])
        #expect(any.status == 0, "\(any.stderr)")
        let anyText = (try JSONSerialization.jsonObject(with: Data(any.stdout.utf8)) as? [String: Any])?["text"] as? String ?? ""
        #expect(anyText.hasPrefix("{"), "\(anyText)")
    }

    @Test func errorsNameTheFileAndPosition() throws {
        let bad = try Self.temporaryFile("bad.gbnf", "root ::= item\nitem ::= \"a\" | other\n")
        let run = try Loupe.run(["generate", "-m", Loupe.smolLM2, "-p", "x", "--grammar", bad])
        #expect(run.status == 1)
        #expect(run.stderr.contains("line 2, column 16: undefined rule 'other'"), "\(run.stderr)")
        let schema = try Self.temporaryFile("bad.json", #"{"type":"string","pattern":"a+"}"#)
        let run2 = try Loupe.run(["generate", "-m", Loupe.smolLM2, "-p", "x", "--json-schema", schema])
        #expect(run2.status == 1)
        #expect(run2.stderr.contains("schema /pattern: unsupported JSON Schema keyword 'pattern'"), "\(run2.stderr)")
        let both = try Loupe.run(["generate", "-m", Loupe.smolLM2, "-p", "x", "--json-object", "--grammar", bad])
        #expect(both.status == 1 && both.stderr.contains("at most one"))
    }

    @Test func inspectShowsTheGrammarStageAndSamplesUnderIt() throws {
        let gbnf = try Self.temporaryFile("digits.gbnf", "root ::= [0-9]+\n")
        let script = "prompt The capital of France is\ngrammar \(gbnf)\ntop 3\nsample\nsample\ngrammar off\ntop 1\n"
        let run = try Loupe.run(["inspect", "-m", Loupe.smolLM2], input: script)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("── grammar: "), "\(run.stdout)")
        #expect(run.stdout.contains("% of the probability)"))
        let sampled = run.stdout.split(separator: "\n").filter { $0.hasPrefix("sampled #") }
        #expect(sampled.count == 2)
        for line in sampled {
            let piece = line.split(separator: "\"").dropFirst().first.map(String.init) ?? ""
            #expect(!piece.isEmpty && piece.allSatisfy(\.isNumber), "\(line)")
        }
    }
}
