import Transformer

/// A copy of one activation: its point, shape and values, and the absolute positions of the
/// tokens along its token axis (axis 0 for `[T, …]`, axis 1 for the attention's `[h, T, P]`).
public struct CachedActivation: Sendable {
    public let point: HookPoint
    /// Dimensions, outermost first; `values.count` is their product.
    public let shape: [Int]
    /// Absolute position of each row of the token axis.
    public let positions: [Int]
    /// Row-major values.
    public let values: [Float]

    public init(point: HookPoint, shape: [Int], positions: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.point = point
        self.shape = shape
        self.positions = positions
        self.values = values
    }

    /// A copy of what a hook was handed.
    init(_ a: HookedActivation) {
        let rows = a.point.isAttentionMap ? a.shape[1] : a.shape[0]
        // The logits hook sees only the positions it has rows for (the last, usually).
        let positions = Array(a.positions.suffix(rows))
        self.init(point: a.point, shape: a.shape, positions: positions, values: a.copy())
    }

    /// The values of token row `t` (an index into `positions`): `[…]` for `[T, …]` shapes,
    /// `[h, P]` for the attention's `[h, T, P]`.
    public func row(_ t: Int) -> [Float] {
        if point.isAttentionMap {
            let (h, T, P) = (shape[0], shape[1], shape[2])
            var row: [Float] = []
            row.reserveCapacity(h * P)
            for head in 0 ..< h {
                let start = (head * T + t) * P
                row += values[start ..< start + P]
            }
            return row
        }
        let width = values.count / max(shape[0], 1)
        return Array(values[t * width ..< (t + 1) * width])
    }
}

extension HookPoint {
    /// True for the `[h, T, P]` attention scores and pattern, whose token axis is the second.
    public var isAttentionMap: Bool {
        switch self {
        case .attnScores, .pattern: true
        default: false
        }
    }
}
