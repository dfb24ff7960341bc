import Transformer

/// The activations a hooked run kept, per hook point, for every forward call (a prompt may
/// run in several chunks, and each generated token is one more call).
///
/// `cache[.pattern(3)]` joins the calls along the token axis: a prompt's pattern and those of the
/// tokens generated after it make one `[h, T_total, P_max]` map (keys a call could not see yet
/// are masked: 0 in the pattern, −∞ in the scores).
public final class ActivationCache {
    /// Each call's copy, per point, in call order.
    public private(set) var calls: [HookPoint: [CachedActivation]] = [:]
    /// The points in the order the forward pass first reached them.
    public private(set) var points: [HookPoint] = []

    public init() {}

    /// Adds one call's activation.
    public func append(_ activation: CachedActivation) {
        if calls[activation.point] == nil { points.append(activation.point) }
        calls[activation.point, default: []].append(activation)
    }

    /// Forgets everything.
    public func removeAll() {
        calls = [:]
        points = []
    }

    /// The activation at `point` over every call so far, or nil when it was not cached.
    public subscript(point: HookPoint) -> CachedActivation? {
        guard let list = calls[point], let first = list.first else { return nil }
        if list.count == 1 { return first }
        return point.isAttentionMap ? joinAttention(list) : joinRows(list)
    }

    /// The activation called `name` (any name `HookPoint.named` accepts).
    public subscript(name: String, blocks blocks: Int) -> CachedActivation? {
        HookPoint.named(name, blocks: blocks).flatMap { self[$0] }
    }

    /// `[T_i, …]` pieces stacked along axis 0.
    private func joinRows(_ list: [CachedActivation]) -> CachedActivation {
        let rows = list.reduce(0) { $0 + $1.shape[0] }
        return CachedActivation(point: list[0].point, shape: [rows] + list[0].shape.dropFirst(),
                                positions: list.flatMap(\.positions), values: list.flatMap(\.values))
    }

    /// `[h, T_i, P_i]` pieces stacked along axis 1, each key row padded to the largest P.
    private func joinAttention(_ list: [CachedActivation]) -> CachedActivation {
        let h = list[0].shape[0]
        let P = list.map { $0.shape[2] }.max()!
        let T = list.reduce(0) { $0 + $1.shape[1] }
        var masked = -Float.infinity
        if case .pattern = list[0].point { masked = 0 }
        var values = [Float](repeating: masked, count: h * T * P)
        var row0 = 0
        for piece in list {
            let (t, p) = (piece.shape[1], piece.shape[2])
            for head in 0 ..< h {
                for r in 0 ..< t {
                    let source = (head * t + r) * p
                    let target = (head * T + row0 + r) * P
                    for k in 0 ..< p { values[target + k] = piece.values[source + k] }
                }
            }
            row0 += t
        }
        return CachedActivation(point: list[0].point, shape: [h, T, P],
                                positions: list.flatMap(\.positions), values: values)
    }
}
