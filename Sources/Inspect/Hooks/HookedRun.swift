import Transformer

/// What `InferenceSession.run` returns: the logits and the cached activations.
public struct HookedRunResult {
    /// Logits of every token of the run.   [T, V]
    public let logits: [Float]
    /// The activations the filter selected, over the whole run.
    public let cache: ActivationCache
}

extension InferenceSession {
    /// Runs `tokens` at the next positions with a cache restricted to `filter` and the given
    /// patches, then restores the session's previous hooks. (TransformerLens's
    /// `run_with_cache(names_filter=…)` combined with `run_with_hooks`.)
    ///   tokens: [T]  -> logits: [T, V], cache
    public func run(_ tokens: [Int], cache filter: HookFilter? = nil, patches: [Patch] = []) throws -> HookedRunResult {
        let hooks = try ActivationHooks(cache: filter, patches: patches, blocks: model.configuration.blockCount,
                                        points: HookPoint.all(model.configuration))
        let previous = self.hooks
        self.hooks = hooks
        defer { self.hooks = previous }
        let logits = try evaluateAll(tokens)
        return HookedRunResult(logits: logits, cache: hooks.cache)
    }
}
