import Kernels
import Transformer

/// The matrix product behind a step of the forward pass, with the input the pass gave it:
/// `kernels` runs it on every backend. Steps that are not a product (norms, RoPE, softmax)
/// show the next product of their block.
public struct StepProduct {
    /// W.   [rows, columns]
    public let weight: WeightMatrix
    /// x, the activation the product multiplies (normalized rows times γ where the pass has a norm).   [T, columns]
    public let input: [Float]

    /// The activations the product's input is made from.
    public static func inputPoints(for point: HookPoint) -> [HookPoint] {
        guard let block = point.block else {
            return point == .embed ? [.ln1Normalized(0)] : [.lnFinalNormalized]
        }
        switch point {
        case .attnScores, .pattern, .z, .ln1PostScale, .ln1PostNormalized, .attnOut: return [.z(block)]
        case .residMid, .ln2Scale, .ln2Normalized, .mlpPre, .mlpPreLinear: return [.ln2Normalized(block)]
        case .mlpPost, .ln2PostScale, .ln2PostNormalized, .mlpOut, .residPost: return [.mlpPost(block)]
        default: return [.ln1Normalized(block)]
        }
    }

    /// The product of `point`'s step; `activation` gives the recorded values of `inputPoints(for:)`.
    public init(point: HookPoint, model: Model, activation: (HookPoint) -> [Float]?) throws(InspectError) {
        let w = model.weights
        guard let source = Self.inputPoints(for: point).first, let x = activation(source) else {
            throw InspectError("the activations of \(point.name)'s product were not recorded")
        }
        func normed(_ gamma: UnsafeBufferPointer<Float>) -> [Float] {
            x.indices.map { x[$0] * gamma[$0 % gamma.count] }
        }
        guard let block = point.block else {
            if point == .embed { (weight, input) = (w.blocks[0].query, normed(w.blocks[0].attentionNorm)) }
            else { (weight, input) = (w.unembedding, normed(w.outputNorm)) }
            return
        }
        let b = w.blocks[block]
        switch point {
        case .k, .rotK: (weight, input) = (b.key, normed(b.attentionNorm))
        case .v: (weight, input) = (b.value, normed(b.attentionNorm))
        case .attnScores, .pattern, .z, .ln1PostScale, .ln1PostNormalized, .attnOut: (weight, input) = (b.attentionOutput, x)
        case .residMid, .ln2Scale, .ln2Normalized, .mlpPre: (weight, input) = (b.gate, normed(b.mlpNorm))
        case .mlpPreLinear: (weight, input) = (b.up, normed(b.mlpNorm))
        case .mlpPost, .ln2PostScale, .ln2PostNormalized, .mlpOut, .residPost: (weight, input) = (b.down, x)
        default: (weight, input) = (b.query, normed(b.attentionNorm))
        }
    }
}
