import ConformanceData
import Decoding
import Foundation
import GGUF
import Inspect
import Kernels
import Tokenizers
import Transformer

/// The models the Inspect tests run: the tiny random model (Q4_1) of the conformance data and
/// SmolLM2 from `Weights/`.
enum TestModels {
    /// The tiny model's path (made from `Tests/Conformance/tiny` on first use).
    static var tiny: String { get throws { try Conformance.tinyModel("tiny-q4_1") } }
    /// The default model's path.
    static var smolLM2: String { get throws { try Conformance.smolLM2() } }

    /// The models the invariant tests run on, by name.
    static let names = ["tiny-q4_1", "SmolLM2"]

    /// The path of a model of `names`.
    static func path(of name: String) throws -> String { name == "SmolLM2" ? try smolLM2 : try tiny }

    /// Model and tokenizer of `path`, on the SIMD backend (one thread: deterministic, and
    /// fine in a debug build for these sizes).
    static func load(_ path: String) throws -> (Model, Tokenizer) {
        let file = try GGUFFile(path: path)
        return (try Model(file: file, backend: SIMDBackend(threads: 1)), try Tokenizer(file: file))
    }

    static let prompt = "The capital of France is"
}
