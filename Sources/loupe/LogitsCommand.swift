import ArgumentParser
import Foundation
import Loupe

/// `loupe logits`: the logits of every position of a prompt, as a NumPy array.
struct LogitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Write the logits of every prompt position to a .npy file [n_tokens, n_vocab] (float32).")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var backendOptions: BackendOptions
    @Option(name: .short, help: "The prompt.")
    var prompt: String?
    @Option(help: "Token ids instead of a prompt, comma-separated (used as given).")
    var ids: String?
    @Flag(name: .customLong("no-bos"), help: "Do not add the BOS token to the prompt.")
    var noBOS = false
    @Option(help: "Output .npy file.")
    var out: String

    func run() throws {
        try reportingErrors {
            let (model, tokenizer) = try backendOptions.load(modelOptions)
            let tokens = try promptIDs(tokenizer)
            let length = max(tokens.count, 1)
            guard length <= model.configuration.contextLength else {
                throw CLIError("\(tokens.count) tokens exceed the model's context length \(model.configuration.contextLength)")
            }
            let session = try InferenceSession(model: model, contextLength: length)
            let logits = try session.evaluateAll(tokens)
            try NumPyFile.write(logits, shape: [tokens.count, model.configuration.vocabularySize], to: out)
            printError("wrote \(out): [\(tokens.count), \(model.configuration.vocabularySize)] float32")
        }
    }

    private func promptIDs(_ tokenizer: Tokenizer) throws -> [Int] {
        switch (prompt, ids) {
        case (let p?, nil):
            let tokens = tokenizer.encode(p, addBOS: noBOS ? false : nil, parseSpecial: true)
            guard !tokens.isEmpty else { throw CLIError("the prompt gives no tokens") }
            return tokens
        case (nil, let list?):
            let parts = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let values = parts.compactMap { Int($0) }
            guard !values.isEmpty, values.count == parts.count else {
                throw CLIError("--ids must be comma-separated integers, like 504,3575,282")
            }
            return values
        case (nil, nil): throw CLIError("give a prompt with -p TEXT or token ids with --ids 1,2,3")
        default: throw CLIError("give either -p or --ids, not both")
        }
    }
}
