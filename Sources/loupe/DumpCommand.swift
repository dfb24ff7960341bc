import ArgumentParser
import Foundation
import Loupe

/// `loupe dump`: activations of a prompt's forward pass as `.npy` files, for Python and plots.
struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Write activations of a forward pass as .npy files named after their hook points.",
        discussion: """
            Hook names: TransformerLens (blocks.3.attn.hook_pattern), shorthand ("pattern 3"), \
            llama.cpp nodes (kq_soft_max-3) or globs ('blocks.*.hook_resid_post').
            Example: loupe dump -p "The capital of France is" --hook 'blocks.*.attn.hook_pattern' --out acts/
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var backendOptions: BackendOptions
    @Option(name: .shortAndLong, help: "The prompt.")
    var prompt: String
    @Option(name: .customLong("hook"), parsing: .upToNextOption, help: "Hook points to write (names or globs).")
    var hooks: [String]
    @Option(help: "Output directory (created if needed).")
    var out: String

    func run() throws {
        try reportingErrors {
            guard !hooks.isEmpty else { throw CLIError("give at least one --hook NAME") }
            let (model, tokenizer) = try backendOptions.load(modelOptions)
            let filter = HookFilter(hooks)
            let points = try filter.points(blocks: model.configuration.blockCount,
                                           among: HookPoint.all(model.configuration))
            let tokens = try tokenizer.promptTokens(prompt, parseSpecial: true)
            guard tokens.count <= model.defaultContextLength else {
                throw CLIError("\(tokens.count) tokens exceed the context of \(model.defaultContextLength)")
            }
            let session = try InferenceSession(model: model, contextLength: tokens.count, batchSize: tokens.count)
            let result = try session.run(tokens, cache: filter)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            for point in points {
                guard let a = result.cache[point] else { continue }
                let path = URL(fileURLWithPath: out).appendingPathComponent(point.name + ".npy").path
                try NumPyFile.write(a.values, shape: a.shape, to: path)
                print("\(path)  [\(a.shape.map(String.init).joined(separator: ", "))]")
            }
            let labels = tokens.map { tokenizer.piece($0) }
            let tokenFile = URL(fileURLWithPath: out).appendingPathComponent("tokens.json")
            try JSONSerialization.data(withJSONObject: ["ids": tokens, "pieces": labels], options: [.sortedKeys])
                .write(to: tokenFile)
            print("\(tokenFile.path)  (\(tokens.count) tokens)")
        }
    }
}
