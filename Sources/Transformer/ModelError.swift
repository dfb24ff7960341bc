import GGUF

/// Why a model cannot be loaded or run, naming the file and the tensor or key at fault.
///
/// Every check that can fail on a bad file runs when the model is loaded, before any arithmetic,
/// so a student sees `model.gguf: tensor 'blk.3.attn_q.weight' has type IQ2_XS at offset 81920;
/// Loupe computes F32, F16, …` instead of a crash in the middle of a forward pass.
public struct ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// The metadata could not be read (missing key, wrong type): the GGUF error says which.
        case metadata(GGUFError)
        /// `general.architecture` is not one Loupe runs.
        case unknownArchitecture(String?)
        /// A hyperparameter has a value the forward pass cannot use.
        case badHyperparameter(key: String, value: String, expected: String)
        case missingTensor(String)
        /// ggml dimensions (`ne[0]` first) as expected and as found.
        case wrongShape(tensor: String, expected: [Int], found: [Int])
        case uncomputableType(tensor: String, type: GGMLType, offset: Int)
        /// A feature of the file that Loupe's forward pass does not implement.
        case unsupportedFeature(String)
        /// The tokens to evaluate do not fit in the KV cache.
        case contextFull(needed: Int, capacity: Int)
        case tokenOutOfRange(token: Int, vocabularySize: Int)
        /// `evaluate` was given no tokens.
        case noTokens
        case badContextLength(requested: Int, model: Int)
    }

    /// The model file's path as given by the caller.
    public let file: String
    public let kind: Kind

    public init(file: String, kind: Kind) {
        self.file = file
        self.kind = kind
    }

    public var description: String {
        if case .metadata(let error) = kind { return error.description }
        return "\(file): \(message)"
    }

    /// The message without the file name.
    public var message: String {
        switch kind {
        case .metadata(let error):
            return error.message
        case .unknownArchitecture(let name):
            let found = name.map { "'\($0)'" } ?? "no general.architecture"
            return "architecture \(found) is not supported; Loupe runs " + Architecture.supported.map { "'\($0)'" }.joined(separator: ", ")
                + " (Llama 2/3, SmolLM, TinyLlama, Qwen 2/2.5, Qwen 3, Gemma 3, Phi-3)"
        case .badHyperparameter(let key, let value, let expected):
            return "metadata key '\(key)' is \(value); expected \(expected)"
        case .missingTensor(let name):
            return "tensor '\(name)' is missing"
        case .wrongShape(let name, let expected, let found):
            return "tensor '\(name)' has shape \(found); the hyperparameters say \(expected) (ggml order, row length first)"
        case .uncomputableType(let name, let type, let offset):
            let types = GGMLType.computable.map(\.name).joined(separator: ", ")
            return "tensor '\(name)' has type \(type) at offset \(offset); Loupe computes \(types)"
        case .unsupportedFeature(let what):
            return what
        case .contextFull(let needed, let capacity):
            return "context is full: \(needed) tokens needed, the KV cache holds \(capacity) (raise it with -c, up to the model's context length)"
        case .tokenOutOfRange(let token, let size):
            return "token id \(token) is outside the vocabulary (0..<\(size))"
        case .noTokens:
            return "nothing to evaluate: the token list is empty"
        case .badContextLength(let requested, let model):
            return "context length \(requested) is not usable; choose 1…\(model) (the model's context length)"
        }
    }
}

extension ModelError {
    /// Wraps a metadata error of `file`.
    static func metadata(_ error: GGUFError) -> ModelError {
        ModelError(file: error.file, kind: .metadata(error))
    }
}
