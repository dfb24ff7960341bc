import ArgumentParser
import Foundation
import Loupe

/// `loupe report`: one prompt through the model, written up as a self-contained HTML page.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an HTML page showing what the model does with a prompt.",
        discussion: """
            The page holds the tokens, the residual-stream norm after each layer, the logit lens \
            (what each layer would predict) and every head's attention pattern in every layer. \
            It is one file with inline SVG and CSS: no script, no network. It grows with \
            layers × heads × tokens², so keep prompts short (SmolLM2: 5 tokens make 1 MB, 12 tokens 3.5 MB).
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var backendOptions: BackendOptions
    @Option(name: .shortAndLong, help: "The prompt (special tokens such as <|im_start|> are parsed).")
    var prompt: String
    @Option(help: "The HTML file to write.")
    var out: String = "report.html"
    @OptionGroup var languageOptions: LanguageOptions
    @Option(name: .customLong("max-tokens"), help: "Refuse prompts longer than this many tokens.")
    var maxTokens: Int = 64

    func validate() throws {
        guard maxTokens > 0 else { throw ValidationError("--max-tokens must be at least 1") }
        guard !out.isEmpty else { throw ValidationError("--out needs a file name") }
    }

    func run() throws {
        try reportingErrors {
            let path = try modelOptions.resolvedPath()
            let (model, tokenizer) = try backendOptions.load(modelOptions)
            let tokens = try tokenizer.promptTokens(prompt, parseSpecial: true)
            guard !tokens.isEmpty else { throw CLIError("the prompt gives no tokens") }
            guard tokens.count <= maxTokens else {
                throw CLIError("the prompt has \(tokens.count) tokens, more than --max-tokens \(maxTokens); "
                               + "the page would hold \(model.configuration.blockCount * model.configuration.headCount) "
                               + "heatmaps of \(tokens.count)² cells")
            }
            let run = try Inspector(model: model, tokenizer: tokenizer).run(tokens: tokens, lensDepth: 1)
            let c = model.configuration
            let file = URL(fileURLWithPath: path).lastPathComponent
            let type = model.file.fileTypeName.map { " (\($0))" } ?? ""
            let facts: [(name: String, value: String)] = [
                ("architecture", c.architecture.name), ("layers", "\(c.blockCount)"),
                ("heads", "\(c.headCount) query, \(c.kvHeadCount) key/value"), ("d_model", "\(c.embeddingLength)"),
                ("d_head", "\(c.headDimension)"), ("d_ff", "\(c.feedForwardLength)"),
                ("vocabulary", "\(c.vocabularySize)"), ("kernels", model.backend.name),
            ]
            var report = HTMLReport(run: run, model: file + type, prompt: prompt, facts: facts)
            report.language = try languageOptions.language()
            let page = try report.html()
            try writeFile(out, page)
            printError("wrote \(out): \(tokens.count) tokens, \(c.blockCount) layers × \(c.headCount) heads, "
                       + "\(page.utf8.count / 1024) KB")
        }
    }
}
