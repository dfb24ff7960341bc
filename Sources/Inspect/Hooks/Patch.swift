import Transformer

/// A change made to an activation during the forward pass, which then continues with it
/// (TransformerLens's "hook that returns a new value").
///
///     let logits = try session.run(tokens, patches: [.zeroHead(layer: 3, head: 5)]).logits
public struct Patch {
    /// Where the patch applies.
    public let point: HookPoint
    /// Overwrites (some of) `activation.values` in place.
    public let body: (HookedActivation) -> Void

    public init(_ point: HookPoint, _ body: @escaping (HookedActivation) -> Void) {
        self.point = point
        self.body = body
    }

    /// Zero-ablates one attention head: its output z is 0 at every position, so W_O adds
    /// nothing from it to the residual stream.   z: [T, h, d_head], z[:, head, :] = 0
    public static func zeroHead(layer: Int, head: Int) -> Patch {
        Patch(.z(layer)) { a in
            let (T, h, dHead) = (a.shape[0], a.shape[1], a.shape[2])
            precondition(head >= 0 && head < h, "head \(head) of \(h)")
            for t in 0 ..< T {
                for j in 0 ..< dHead { a.values[(t * h + head) * dHead + j] = 0 }
            }
        }
    }

    /// Replaces the activation at the positions given by `source` (a cached activation of the
    /// same point, from another run: activation patching). Positions `source` lacks are left alone.
    public static func replace(with source: CachedActivation) -> Patch {
        Patch(source.point) { a in
            for (t, position) in a.positions.enumerated() {
                guard let r = source.positions.firstIndex(of: position) else { continue }
                let row = source.row(r)
                if a.point.isAttentionMap {
                    let (h, T, P) = (a.shape[0], a.shape[1], a.shape[2])
                    let width = row.count / h
                    for head in 0 ..< h {
                        for k in 0 ..< min(P, width) { a.values[(head * T + t) * P + k] = row[head * width + k] }
                    }
                } else {
                    let width = a.values.count / a.shape[0]
                    guard width == row.count else { continue }
                    for k in 0 ..< width { a.values[t * width + k] = row[k] }
                }
            }
        }
    }

    /// Sets every value of the activation to `value` (e.g. 0 to ablate the MLP of a block).
    public static func fill(_ point: HookPoint, with value: Float) -> Patch {
        Patch(point) { a in a.values.update(repeating: value) }
    }
}
