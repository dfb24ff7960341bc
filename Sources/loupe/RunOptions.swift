import ArgumentParser
import Foundation
import Loupe

/// How a command that runs the model computes: which kernels, how many threads.
struct BackendOptions: ParsableArguments {
    @Option(help: "Kernels: auto, naive, simd, simd-q8 or blas.")
    var backend: String = "auto"

    @Option(name: .short, help: "Threads for matrix products (default: all cores).")
    var threads: Int?

    /// Opens the model file of `modelOptions`, builds the backend and binds the weights; the
    /// tokenizer comes from the same file.
    func load(_ modelOptions: ModelOptions) throws -> (Model, Tokenizer) {
        let kind = try BackendKind(name: backend)
        let file = try modelOptions.open()
        let backend = try kind.makeBackend(threads: threads ?? ThreadPool.coreCount)
        let tokenizer = try Tokenizer(file: file)
        let model = try Model(file: file, backend: backend)
        return (model, tokenizer)
    }
}

/// The sampling options of `generate` and `chat`, with llama.cpp's defaults.
struct SamplingOptions: ParsableArguments {
    @Option(help: "Temperature; 0 or below is greedy.")
    var temp: Float = 0.8
    @Option(name: .customLong("top-k"), help: "Keep the k most likely tokens (0: off).")
    var topK: Int = 40
    @Option(name: .customLong("top-p"), help: "Keep the most likely tokens up to this total probability (1: off).")
    var topP: Float = 0.95
    @Option(name: .customLong("min-p"), help: "Drop tokens less likely than this fraction of the top one (0: off).")
    var minP: Float = 0.05
    @Option(name: .customLong("repeat-penalty"), help: "Penalize the last 64 tokens (1: off).")
    var repeatPenalty: Float = 1
    @Option(help: "Random seed (default: random).")
    var seed: UInt32?
    @Option(help: "Constrain the output to a GBNF grammar file (llama.cpp's format).")
    var grammar: String?
    @Option(name: .customLong("json-schema"), help: "Constrain the output to JSON valid for this JSON Schema file.")
    var jsonSchema: String?
    @Flag(name: .customLong("json-object"), help: "Constrain the output to a JSON object (any keys and values).")
    var jsonObject = false

    func parameters() throws -> SamplingParameters {
        let p = SamplingParameters(temperature: temp, topK: topK, topP: topP, minP: minP,
                                   repeatPenalty: repeatPenalty, seed: seed, grammar: try loadGrammar())
        if let problem = p.validate() { throw CLIError(problem) }
        return p
    }

    /// The grammar of --grammar, --json-schema or --json-object (at most one), or nil.
    func loadGrammar() throws -> Grammar? {
        let given = [grammar != nil, jsonSchema != nil, jsonObject].filter { $0 }.count
        guard given <= 1 else { throw CLIError("give at most one of --grammar, --json-schema and --json-object") }
        do {
            if let grammar { return try Grammar(contentsOfFile: grammar) }
            if let jsonSchema {
                guard let data = FileManager.default.contents(atPath: jsonSchema) else {
                    throw CLIError("cannot read JSON Schema file '\(jsonSchema)'")
                }
                return try Grammar(jsonSchema: data)
            }
        } catch let error as GrammarError {
            throw CLIError("\(grammar ?? jsonSchema ?? ""): \(error)")
        }
        return jsonObject ? Grammar.anyJSON : nil
    }
}

/// Writes a line to standard error (timings, notices).
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// `--lang en|fr` for the commands that explain (inspect, report); without it, the language of
/// `LC_ALL`, `LC_MESSAGES` or `LANG` (French when it starts with `fr`).
struct LanguageOptions: ParsableArguments {
    @Option(name: .customLong("lang"), help: "Language of explanations: en or fr (default: from LANG/LC_ALL).")
    var lang: String?

    func language() throws -> Language {
        guard let lang else { return Language.from(environment: ProcessInfo.processInfo.environment) }
        guard let language = Language(code: lang) else { throw CLIError("--lang \(lang): Loupe speaks en and fr") }
        return language
    }
}
