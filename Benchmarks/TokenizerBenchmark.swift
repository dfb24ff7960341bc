import Foundation
import Loupe

/// `loupe-benchmarks tokenizer [MODEL] [MEGABYTES]`: tokenizer construction time and encoding
/// throughput on mixed English/French text, one thread.
///
/// v1 (the only version): byte-level BPE with hand-written pre-tokenizers, id-pair merge table
/// and a priority queue per word. The text is made here from the paragraphs below, shuffled
/// by a seeded generator, so every run measures the same bytes. llama.cpp's `llama_tokenize`
/// does about 1.1 MB/s on this text on the course machine; the goal is ≥ 2 MB/s.
func runTokenizerBenchmark(arguments: [String]) throws {
    let model = arguments.first ?? "Weights/SmolLM2-135M-Instruct.Q4_1.gguf"
    let megabytes = arguments.count > 1 ? Double(arguments[1]) ?? 10 : 10

    let file = try GGUFFile(path: model)
    let clock = ContinuousClock()
    var tokenizer = try Tokenizer(file: file)
    let construction = clock.measure { tokenizer = try! Tokenizer(file: file) }
    print("tokenizer: \(model) (\(tokenizer.model), \(tokenizer.vocabularySize) tokens)")
    print("construction: \(milliseconds(construction)) ms")

    let text = BenchmarkText.mixedEnglishFrench(bytes: Int(megabytes * 1_000_000), seed: 42)
    let size = Double(text.utf8.count)
    // Check before timing: decoding the ids must give the text back.
    let sample = String(text.prefix(20_000))
    guard tokenizer.decode(tokenizer.encode(sample, addBOS: false)) == sample else {
        throw TokenizerBenchmarkError("round trip failed on the benchmark text")
    }
    var ids: [Int] = []
    let elapsed = clock.measure { ids = tokenizer.encode(text, addBOS: false) }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    print(String(format: "encode: %.1f MB in %.2f s = %.2f MB/s, %d tokens (%.2f bytes/token)",
                 size / 1e6, seconds, size / 1e6 / seconds, ids.count, size / Double(ids.count)))
}

struct TokenizerBenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

private func milliseconds(_ d: Duration) -> String {
    String(format: "%.1f", Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15)
}

/// Reproducible text for tokenizer benchmarks.
enum BenchmarkText {
    /// `bytes` bytes (about) of paragraphs in English and French, shuffled with `seed`.
    static func mixedEnglishFrench(bytes: Int, seed: UInt64) -> String {
        var rng = SplitMix64(seed: seed)
        var out = ""
        out.reserveCapacity(bytes + 4096)
        while out.utf8.count < bytes {
            // Sentences of a random paragraph, in a random order, then a blank line.
            let paragraph = paragraphs[Int(rng.next() % UInt64(paragraphs.count))]
            var sentences = paragraph.split(separator: ". ").map(String.init)
            for i in stride(from: sentences.count - 1, to: 0, by: -1) {
                sentences.swapAt(i, Int(rng.next() % UInt64(i + 1)))
            }
            out += sentences.joined(separator: ". ")
            out += rng.next() % 4 == 0 ? "\n\n" : "\n"
        }
        return out
    }

    static let paragraphs = [
        "The transformer reads a sequence of tokens and predicts the next one. Each token is first turned into a vector by the embedding table. Attention then lets every position look at the positions before it. After the last block, a final projection gives one score per word of the vocabulary.",
        "Tokenization comes before everything else. A word such as \"unbelievable\" may be split into three or four pieces, while a common word like \"the\" is a single token. Numbers are often cut digit by digit, and spaces usually belong to the word that follows them.",
        "In 1969, the Apollo 11 mission landed on the Moon. Neil Armstrong stepped onto the surface at 02:56 UTC on July 21st. About 650 million people watched the broadcast, which was one of the largest television audiences of the time.",
        "She opened the window, looked at the rain, and decided that the walk could wait. The kettle was already whistling. On the table, a letter from her brother lay unopened: she knew what it would say, and she wasn't ready to read it yet.",
        "To install the package, run the build command and then execute the tests. If a test fails, read its message carefully: it names the file, the offset and the value that was expected. Most errors come from a missing file or a wrong path.",
        "Prices rose by 3.4% in March, compared with 2.9% in February. Economists had expected a smaller increase; energy costs (+12%) and food (+5.1%) were the main drivers. The central bank will meet again on the 14th.",
        "Le modèle lit une suite de jetons et prédit le suivant. Chaque jeton devient d'abord un vecteur grâce à la table d'intégration. L'attention permet ensuite à chaque position de regarder celles qui la précèdent. À la fin, une projection donne un score pour chaque mot du vocabulaire.",
        "L'été dernier, nous avons visité Genève, Lyon et Marseille. Il faisait très chaud : plus de 35 °C à l'ombre ! Nous avons mangé des crêpes, bu du café au lait et parlé pendant des heures sur les quais du Rhône.",
        "Elle ouvrit la fenêtre, regarda la pluie tomber et se dit que la promenade pouvait attendre. Sur la table, une lettre de son frère restait fermée ; elle savait déjà ce qu'elle contiendrait, et elle n'était pas prête à la lire.",
        "Pour installer le logiciel, lancez la compilation puis exécutez les tests. Si un test échoue, lisez attentivement le message : il indique le fichier, la position et la valeur attendue. La plupart des erreurs viennent d'un chemin incorrect.",
        "Les prix ont augmenté de 3,4 % en mars, contre 2,9 % en février. Les économistes s'attendaient à une hausse plus faible ; l'énergie (+12 %) et l'alimentation (+5,1 %) en sont les principales causes. La banque centrale se réunira de nouveau le 14.",
        "Où est passée la clé ? Je l'ai cherchée partout : dans le tiroir, sous le canapé, même dans le réfrigérateur. C'est à n'y rien comprendre… Peut-être qu'elle est restée dans la voiture, après tout.",
    ]
}

/// A small, fast, seedable generator (Steele et al.), so benchmark inputs are reproducible.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
