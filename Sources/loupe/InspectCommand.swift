import ArgumentParser
import Foundation
import Loupe

/// `loupe inspect`: a REPL that steps through a forward pass and looks at what is inside.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Step through a forward pass: activations, attention, logit lens, samplers, kernels, quantized blocks.",
        discussion: """
            Type `help` at the prompt. Commands can also be piped in, one per line:
              printf 'prompt The capital of France is\\nlens\\ntop 5\\n' | loupe inspect
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var backendOptions: BackendOptions
    @Option(name: .shortAndLong, help: "A prompt to run before the first command.")
    var prompt: String?
    @OptionGroup var languageOptions: LanguageOptions
    @Flag(name: .customLong("no-color"), help: "Shade heatmaps with ░▒▓█ even when the terminal has 256 colours.")
    var noColor = false

    func run() throws {
        try reportingErrors {
            let (model, tokenizer) = try backendOptions.load(modelOptions)
            let editor = LineEditor()
            let shading = noColor ? .characters
                : Shading.detect(isTerminal: editor.isInteractive, environment: ProcessInfo.processInfo.environment)
            let shell = InspectShell(model: model, tokenizer: tokenizer, shading: shading,
                                     language: try languageOptions.language()) { print($0) }
            if editor.isInteractive {
                print("loupe inspect: \(modelOptions.model ?? "default model"), \(model.configuration.blockCount) layers. Type help.")
            }
            if let prompt { shell.execute("prompt " + prompt) }
            while let line = editor.readLine(prompt: "loupe> ") {
                // Scripts: show each command before its answer, as a terminal would.
                if !editor.isInteractive { print("loupe> " + line) }
                fflush(nil)
                guard shell.execute(line) else { break }
                fflush(nil)
            }
        }
    }
}
