import Transformer

/// Every activation of one forward pass, in the order the pass produced them: what the REPL's
/// `step` and `next` walk through.
public struct ForwardTrace {
    /// The recorded activations, in forward order (each hook point once: the prompt runs as one call).
    public let steps: [CachedActivation]
    /// The logits of every token.   [T, V]
    public let logits: [Float]

    /// Runs `tokens` from position 0 in a fresh session, copying every activation; `patches`
    /// change the pass on the way (ablations).
    public init(model: Model, tokens: [Int], patches: [Patch] = []) throws {
        let T = max(tokens.count, 1)
        let session = try InferenceSession(model: model, contextLength: T, batchSize: T)
        var steps: [CachedActivation] = []
        let hooks = try ActivationHooks(patches: patches, blocks: model.configuration.blockCount)
        hooks.observer = { steps.append(CachedActivation($0)) }
        session.hooks = hooks
        logits = try session.evaluateAll(tokens)
        self.steps = steps
    }

    /// The index of the first step of block `block`, or of the final norm when `block` is past the last.
    public func firstStep(ofBlock block: Int) -> Int? {
        steps.firstIndex { $0.point.block == block } ?? steps.firstIndex { $0.point == .lnFinalScale }
    }

    /// The recorded activation at `point`.
    public subscript(point: HookPoint) -> CachedActivation? {
        steps.first { $0.point == point }
    }
}
