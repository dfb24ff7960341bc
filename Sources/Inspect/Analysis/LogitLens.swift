import Foundation
import Kernels
import Tokenizers
import Transformer

/// One guess of the logit lens (or of the model): a token, its text and its probability.
public struct TokenGuess: Sendable, Equatable {
    public let id: Int
    /// The token's text as the tokenizer prints it (`" Paris"`).
    public let piece: String
    public let probability: Float

    public init(id: Int, piece: String, probability: Float) {
        self.id = id
        self.piece = piece
        self.probability = probability
    }
}

/// The logit lens (nostalgebraist, 2020): read an intermediate residual stream as if it were
/// the last one — final RMSNorm, then unembedding — to see what the model "would say" there.
///
///     lens(x) = (x / √(mean(x²) + ε) ⊙ γ_final) · W_Uᵀ      x: [T, d]  -> [T, V]
///
/// The arithmetic is the hooked forward pass's own (scale, divide, multiply by γ, then the same
/// product), so the lens of the last block's `resid_post` is exactly the model's logits.
public struct LogitLens {
    public let model: Model

    public init(model: Model) {
        self.model = model
    }

    /// Logits read from residual rows.   residual: [T, d]  -> [T, V]
    public func logits(residual: [Float]) -> [Float] {
        let c = model.configuration
        let d = c.embeddingLength
        let T = residual.count / d
        let backend = model.backend
        let gamma = model.weights.outputNorm
        var normalized = residual
        var logits = [Float](repeating: 0, count: T * c.vocabularySize)
        normalized.withUnsafeMutableBufferPointer { x in
            for t in 0 ..< T {
                let row = UnsafeMutableBufferPointer(rebasing: x[t * d ..< (t + 1) * d])
                let scale = (backend.dot(UnsafeBufferPointer(row), UnsafeBufferPointer(row)) / Float(d) + c.rmsEpsilon).squareRoot()
                let inverse = 1 / scale
                for j in 0 ..< d { row[j] *= inverse }
                backend.mul(UnsafeBufferPointer(row), gamma, into: row)
            }
            logits.withUnsafeMutableBufferPointer { y in
                let input = UnsafeBufferPointer(x)
                if T == 1 {
                    backend.matVec(model.weights.unembedding, input, into: y)
                } else {
                    backend.matMul(model.weights.unembedding, input, count: T, into: y)
                }
            }
        }
        // As the forward pass's `unembed`: the bias and the logit softcap, when the model has them.
        if let bias = model.weights.unembeddingBias {
            for j in logits.indices { logits[j] += bias[j % c.vocabularySize] }
        }
        if let cap = c.architecture.logitSoftcap {
            for j in logits.indices { logits[j] = cap * tanhf(logits[j] / cap) }
        }
        return logits
    }

    /// The `k` most likely tokens of each row of logits.   logits: [T, V]  -> [T][k]
    public static func top(_ k: Int, logits: [Float], vocabulary V: Int, tokenizer: Tokenizer?) -> [[TokenGuess]] {
        stride(from: 0, to: logits.count, by: V).map { start in
            topTokens(k, of: logits[start ..< start + V], tokenizer: tokenizer)
        }
    }
}

/// The `k` most likely tokens under softmax(row), most likely first.   row: [V]
public func topTokens(_ k: Int, of row: ArraySlice<Float>, tokenizer: Tokenizer?) -> [TokenGuess] {
    guard let maxLogit = row.max() else { return [] }
    var sum: Double = 0
    for v in row { sum += Double(expf(v - maxLogit)) }
    // Partial selection: k is small, V is large.
    var best: [(id: Int, logit: Float)] = []
    for (i, v) in row.enumerated() where best.count < k || v > best[best.count - 1].logit {
        var j = best.count
        while j > 0, v > best[j - 1].logit { j -= 1 }
        best.insert((i, v), at: j)
        if best.count > k { best.removeLast() }
    }
    return best.map { entry in
        TokenGuess(id: entry.id, piece: tokenizer?.piece(entry.id) ?? "#\(entry.id)",
                   probability: Float(Double(expf(entry.logit - maxLogit)) / sum))
    }
}
