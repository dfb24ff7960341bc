import Foundation
import Loupe

// Grammar benchmark: what does constrained decoding cost per generated token?
//
// SmolLM2 answers an extraction request (French invoice → {"nom", "date", "montant"}) twice per
// round, interleaved so that machine noise hits both alike:
//   "free":    the default sampler chain (top-k 40, top-p 0.95, min-p 0.05, temperature 0.8)
//   "schema":  the same chain with the grammar stage of the invoice schema in front of top-k
// Each rate is generated tokens / (time of the decoding loop: forward passes + sampling), that is
// tg as llama-bench counts it plus the sampler's time. The issue's bar: schema ≥ 80 % of free.
//
//   swift run -c release loupe-benchmarks grammar [MODEL] [--tokens N] [--rounds R] [--threads T]

let invoiceSchema = #"""
    {"type": "object",
     "properties": {"nom": {"type": "string"}, "date": {"type": "string", "format": "date"},
                    "montant": {"type": "number"}},
     "required": ["nom", "date", "montant"]}
    """#

func grammarBenchmark(_ arguments: [String]) throws {
    let options = try GenerationBenchmarkOptions(arguments)
    let (path, tokens, rounds, threads) = (options.model, options.tokens, options.rounds, options.threads)
    let file = try GGUFFile(path: path)
    let model = try Model(file: file, backend: try BackendKind.auto.makeBackend(threads: threads))
    let tokenizer = try Tokenizer(file: file)
    let grammar = try Grammar(jsonSchema: Data(invoiceSchema.utf8))
    let vocabulary = GrammarVocabulary(tokenizer)
    let text = "<|im_start|>user\nFacture de Marie Curie, datée du 2024-03-12, montant : 1250.50 euros. "
        + "Extract the name (nom), the date and the amount (montant) as JSON.<|im_end|>\n<|im_start|>assistant\n"
    let prompt = try tokenizer.promptTokens(text, parseSpecial: true)
    let session = try InferenceSession(model: model, contextLength: prompt.count + tokens + 1)
    var rates: [String: [Double]] = [:]
    var sample: [String: String] = [:]
    for round in 0 ..< rounds {
        for name in ["free", "schema"] {
            session.reset()
            let parameters = SamplingParameters(seed: UInt32(round + 1), grammar: name == "schema" ? grammar : nil)
            let generator = Generator(session: session, tokenizer: tokenizer, sampler: parameters.makeChain(vocabulary: vocabulary))
            let clock = ContinuousClock()
            let start = clock.now
            let result = try generator.generate(prompt: prompt, maxTokens: tokens)
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18 - result.promptSeconds
            rates[name, default: []].append(Double(result.tokens.count) / seconds)
            sample[name] = result.text
        }
    }
    print("grammar: \(model.backend.name) backend, \(threads) threads, up to \(tokens) tokens × \(rounds) rounds, interleaved")
    let free = rates["free"]!, schema = rates["schema"]!
    print(String(format: "  free    median %7.1f tok/s", middle(free)))
    print(String(format: "  schema  median %7.1f tok/s   paired median ratio %.2f", middle(schema), middle(zip(schema, free).map { $0 / $1 })))
    print("  last schema output: \(sample["schema"]!)")
}

private func middle(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? .nan : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
