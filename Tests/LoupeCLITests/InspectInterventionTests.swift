import Foundation
import Testing

/// `loupe inspect`'s interventions (`ablate`, `restore`, `top` side by side) and its French,
/// and `loupe report --lang fr`, on SmolLM2.
@Suite
struct InspectInterventionTests {
    /// The answer to each command of a piped script: the lines after `loupe> COMMAND`.
    private func answers(_ stdout: String) -> [String: String] {
        var result: [String: String] = [:]
        var command: String?
        for line in stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("loupe> ") {
                command = String(line.dropFirst(7))
                result[command!, default: ""] = ""
            } else if let command {
                result[command, default: ""] += line + "\n"
            }
        }
        return result
    }

    @Test("ablate L H, ablate attn L, ablate mlp L, restore; top compares the original and the ablated model")
    func ablations() throws {
        let script = ["prompt The capital of France is", "top 3", "ablate 0 0", "ablate attn 3", "ablate mlp 0",
                      "ablate mlp 30", "ablate 0 9", "top 4", "restore", "top 5", "quit"].joined(separator: "\n") + "\n"
        let r = try Loupe.run(["inspect", "-m", Loupe.smolLM2, "--backend", "simd"], input: script)
        #expect(r.status == 0, "\(r.stderr)")
        let a = answers(r.stdout)
        #expect(a["top 3"]?.contains("original") == false)
        #expect(a["ablate 0 0"]?.contains("ablated: head 0.0") == true)
        #expect(a["ablate mlp 0"]?.contains("ablated: head 0.0, attn 3, mlp 0") == true)
        #expect(a["ablate mlp 30"]?.contains("error: layer 30 is not in 0…29") == true)
        #expect(a["ablate 0 9"]?.contains("error: head 9 is not in 0…8") == true)
        let compared = try #require(a["top 4"])
        #expect(compared.contains("original") && compared.contains("ablated"))
        #expect(compared.contains("── softmax(logits): original 49152 candidates"))
        #expect(a["restore"]?.contains("every ablation removed") == true)
        #expect(a["top 5"]?.contains("original") == false)
    }

    @Test("--lang fr, or LANG=fr_FR.UTF-8: help, steps and messages in the lecture's French")
    func french() throws {
        let script = "help\nprompt Bonjour\nstep 11\nrun\n"
        for (arguments, environment) in [(["--lang", "fr"], [String: String]()), ([], ["LANG": "fr_FR.UTF-8"])] {
            let r = try Loupe.run(["inspect", "-m", Loupe.smolLM2, "--backend", "simd"] + arguments, input: script, environment: environment)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("Commandes"))
            #expect(r.stdout.contains("étapes de la passe avant enregistrées"))
            #expect(r.stdout.contains("Motif d'attention : softmax des scores"))
            #expect(r.stdout.contains("token suivant :"))
        }
        let english = try Loupe.run(["inspect", "-m", Loupe.smolLM2, "--lang", "en"], input: "help\n", environment: ["LANG": "fr_FR.UTF-8"])
        #expect(english.stdout.contains("Commands"))
        let bad = try Loupe.run(["inspect", "-m", Loupe.smolLM2, "--lang", "de"], input: "")
        #expect(bad.status == 1 && bad.stderr.contains("--lang de"))
    }

    @Test("loupe report --lang fr writes French headings")
    func frenchReport() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("report-fr-\(UUID().uuidString).html").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try Loupe.run(["report", "-m", Loupe.smolLM2, "-p", "Bonjour", "--lang", "fr", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let page = try String(contentsOfFile: out, encoding: .utf8)
        #expect(page.contains("<html lang=\"fr\">"))
        #expect(page.contains("Rapport Loupe") && page.contains("Flux résiduel") && page.contains("Motifs d"))
    }
}
