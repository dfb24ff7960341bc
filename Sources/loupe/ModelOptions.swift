import ArgumentParser
import Foundation
import Loupe

/// The options every command that runs a model shares: which file, which backend, how many
/// threads, how long a context.
struct ModelOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "GGUF model file (default: $LOUPE_MODEL or Weights/SmolLM2-135M-Instruct.Q4_1.gguf).")
    var model: String?

    @Option(help: "Kernels: auto, naive, simd or blas.")
    var backend: String = "auto"

    @Option(name: .short, help: "Threads for matrix products (default: all cores).")
    var threads: Int?

    /// The model file to open.
    var modelPath: String {
        model ?? ProcessInfo.processInfo.environment["LOUPE_MODEL"] ?? "Weights/SmolLM2-135M-Instruct.Q4_1.gguf"
    }

    /// Opens the file, builds the backend and binds the weights; the tokenizer comes from the same file.
    func load() throws -> (Model, Tokenizer) {
        let path = modelPath
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError("model file '\(path)' not found; pass -m FILE or set LOUPE_MODEL")
        }
        let kind = try BackendKind(name: backend)
        let file = try GGUFFile(path: path)
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

    func parameters() throws -> SamplingParameters {
        let p = SamplingParameters(temperature: temp, topK: topK, topP: topP, minP: minP,
                                   repeatPenalty: repeatPenalty, seed: seed)
        if let problem = p.validate() { throw CLIError(problem) }
        return p
    }
}

/// A usage error with its message, printed as `loupe: error: …`.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Writes to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Writes to standard output now (no line buffering), for streamed text.
func printNow(_ text: String) {
    guard !text.isEmpty else { return }
    FileHandle.standardOutput.write(Data(text.utf8))
}

/// Runs `body`, turning any error into its message on stderr and exit status 1.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        printError("loupe: error: \(error)")
        throw ExitCode(1)
    }
}
