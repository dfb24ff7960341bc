import ArgumentParser
import Foundation
import Loupe

/// `loupe generate`: continue a prompt, streaming the text, as llama.cpp's `llama-cli`.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a prompt, printing the text as it is generated.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var backendOptions: BackendOptions
    @Option(name: .short, help: "The prompt.")
    var prompt: String?
    @Option(name: .short, help: "Read the prompt from a file.")
    var file: String?
    @Option(name: .short, parsing: .unconditional,
            help: "Tokens to generate (-1: until the end of generation or of the context).")
    var n: Int = 128
    @Option(name: .short, help: "Context length (default: the model's, at most 4096).")
    var c: Int?
    @OptionGroup var sampling: SamplingOptions
    @Flag(help: "Print control tokens such as <|im_end|>.")
    var special = false
    @Flag(help: "Print one JSON line at the end instead of streaming text.")
    var json = false

    func run() throws {
        try reportingErrors {
            let text = try promptText()
            guard n >= -1 else { throw CLIError("-n must be -1 (no limit), 0 or more; got \(n)") }
            let parameters = try sampling.parameters()
            let (model, tokenizer) = try backendOptions.load(modelOptions)
            let session = try InferenceSession(model: model, contextLength: c)
            let promptIDs = try tokenizer.promptTokens(text, parseSpecial: true)
            guard promptIDs.count <= session.contextLength else {
                throw CLIError("the prompt is \(promptIDs.count) tokens; the context holds \(session.contextLength) (raise -c)")
            }
            let generator = Generator(session: session, tokenizer: tokenizer, sampler: parameters.makeChain(tokenizer: tokenizer))
            generator.showSpecialTokens = special
            if !json { printFlushed(text) }
            let result = try generator.generate(prompt: promptIDs, maxTokens: n, onText: { piece in
                if !json { printFlushed(piece) }
            })
            if json {
                try printJSON(promptIDs: promptIDs, result: result)
            } else {
                printFlushed("\n")
            }
            if result.stopReason == .contextFull {
                printError("loupe: context full (-c \(session.contextLength)): stopped after \(result.tokens.count) generated tokens")
            }
            printError(result.timingSummary)
        }
    }

    /// The prompt from -p or -f (exactly one).
    private func promptText() throws -> String {
        switch (prompt, file) {
        case (let p?, nil): return p
        case (nil, let f?):
            guard let data = FileManager.default.contents(atPath: f) else { throw CLIError("cannot read prompt file '\(f)'") }
            return String(decoding: data, as: UTF8.self)
        case (nil, nil): throw CLIError("give a prompt with -p TEXT or -f FILE")
        default: throw CLIError("give either -p or -f, not both")
        }
    }

    private func printJSON(promptIDs: [Int], result: GenerationResult) throws {
        let object: [String: Any] = [
            "prompt_ids": promptIDs,
            "ids": result.tokens,
            "text": result.text,
            "stop": result.stopReason.rawValue,
            "timings": [
                "prompt_tokens_per_s": result.promptTokensPerSecond,
                "gen_tokens_per_s": result.generationTokensPerSecond,
            ],
        ]
        printFlushed(try jsonLine(object) + "\n")
    }
}
