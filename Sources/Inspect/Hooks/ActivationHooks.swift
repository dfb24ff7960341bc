import Transformer

/// The hooks of a hooked run: patches to apply, points to cache, and an optional observer
/// that sees every activation (the REPL's step-by-step trace).
///
/// At each point the patches run first, then the cache copies and the observer sees the
/// values the forward pass continues with. Points neither patched, cached nor observed cost a
/// set lookup; nothing is copied for them.
///
/// Set it on a session to cache during generation too (each generated token adds one call):
///
///     let hooks = try ActivationHooks(cache: HookFilter(["pattern 0"]), blocks: 30)
///     session.hooks = hooks
///     _ = try generator.generate(prompt: ids, maxTokens: 8)
///     let pattern = hooks.cache[.pattern(0)]     // [h, T_prompt + 8, P]
public final class ActivationHooks: ForwardHooks {
    /// What was kept.
    public let cache = ActivationCache()
    /// The points copied into `cache`.
    public let cachedPoints: Set<HookPoint>
    private var patches: [HookPoint: [Patch]] = [:]
    /// Called with every activation (after patches), when set.
    public var observer: ((HookedActivation) -> Void)?

    /// Hooks caching the points of `filter` (none when nil) and applying `patches`; `points`:
    /// the model's hook points (`HookPoint.all(configuration)`; default: a Llama model's).
    public init(cache filter: HookFilter? = nil, patches: [Patch] = [], blocks: Int,
                points: [HookPoint]? = nil) throws(HookNameError) {
        cachedPoints = Set(try filter?.points(blocks: blocks, among: points) ?? [])
        for patch in patches { add(patch) }
    }

    /// Adds a patch (applied after those already added at the same point).
    public func add(_ patch: Patch) {
        patches[patch.point, default: []].append(patch)
    }

    /// Removes every patch (restores the unpatched forward pass).
    public func removePatches() { patches = [:] }

    public func visit(_ activation: HookedActivation) {
        if let list = patches[activation.point] {
            for patch in list { patch.body(activation) }
        }
        if cachedPoints.contains(activation.point) {
            cache.append(CachedActivation(activation))
        }
        observer?(activation)
    }
}
