import GGUF

/// A vocabulary that cannot be used, or a token id that does not exist, with what and where.
///
/// Messages name the file, the metadata key or the token id, for example
/// `model.gguf: tokenizer.ggml.pre is 'mystery'; Loupe knows default, gpt-2, …`.
public struct TokenizerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// `tokenizer.ggml.model` names a tokenizer Loupe does not implement.
        case unknownModel(String)
        /// `tokenizer.ggml.pre` names a pre-tokenizer Loupe does not implement.
        case unknownPreTokenizer(String)
        /// A required metadata key is absent.
        case missingKey(String)
        /// A metadata key has the wrong type or an impossible value.
        case badValue(key: String, reason: String)
        /// A token id outside `0 ..< vocabularySize`.
        case tokenOutOfRange(id: Int, vocabularySize: Int)
        /// The GGUF file itself could not be read (the error names the file and offset).
        case file(GGUFError)
    }

    /// The vocabulary's file (empty for ids checked without a file).
    public let file: String
    public let kind: Kind

    public init(file: String, kind: Kind) {
        self.file = file
        self.kind = kind
    }

    public var description: String {
        if case .file(let error) = kind { return error.description }
        return (file.isEmpty ? "" : "\(file): ") + message
    }

    /// The message without the file name.
    public var message: String {
        switch kind {
        case .unknownModel(let name):
            return "tokenizer.ggml.model is '\(name)'; Loupe tokenizes 'gpt2' (byte-level BPE) and 'llama' (SentencePiece)"
        case .unknownPreTokenizer(let name):
            return "tokenizer.ggml.pre is '\(name)'; Loupe knows "
                + PreTokenizer.knownNames.joined(separator: ", ")
        case .missingKey(let key):
            return "metadata key '\(key)' is missing; a tokenizer needs it"
        case .badValue(let key, let reason):
            return "metadata key '\(key)': \(reason)"
        case .tokenOutOfRange(let id, let size):
            return "token id \(id) is out of range: the vocabulary has ids 0…\(size - 1)"
        case .file(let error):
            return error.message
        }
    }
}
