import Tokenizers

/// A problem with what the user asked for, before any model computation.
public struct DecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

extension Tokenizer {
    /// The tokens of a prompt as llama.cpp's `llama-cli` makes them: BOS as the file says;
    /// an empty prompt becomes just BOS, or is refused when the model adds no BOS.
    public func promptTokens(_ text: String, parseSpecial: Bool) throws(DecodingError) -> [Int] {
        let tokens = encode(text, addBOS: nil, parseSpecial: parseSpecial)
        if !tokens.isEmpty { return tokens }
        if let bos, addsBOS { return [bos] }
        throw DecodingError("the prompt is empty (this model adds no BOS token to start from); give some text with -p or -f")
    }
}
