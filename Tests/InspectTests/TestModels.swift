import Decoding
import Foundation
import GGUF
import Inspect
import Kernels
import Tokenizers
import Transformer

/// The models the Inspect tests run: the tiny random model of `../shared` and SmolLM2 from
/// `Weights/`. Each test skips the ones that are absent.
enum TestModels {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let tiny = packageRoot.appendingPathComponent("../shared/conformance/tiny/tiny-q4_1.gguf").standardizedFileURL.path
    static let smolLM2 = packageRoot.appendingPathComponent("Weights/SmolLM2-135M-Instruct.Q4_1.gguf").path

    /// The paths of the models present.
    static var available: [String] { [tiny, smolLM2].filter { FileManager.default.fileExists(atPath: $0) } }
    static var hasAny: Bool { !available.isEmpty }
    static var hasSmolLM2: Bool { FileManager.default.fileExists(atPath: smolLM2) }

    /// Model and tokenizer of `path`, on the SIMD backend (one thread: deterministic, and
    /// fine in a debug build for these sizes).
    static func load(_ path: String) throws -> (Model, Tokenizer) {
        let file = try GGUFFile(path: path)
        return (try Model(file: file, backend: SIMDBackend(threads: 1)), try Tokenizer(file: file))
    }

    static let prompt = "The capital of France is"
}
