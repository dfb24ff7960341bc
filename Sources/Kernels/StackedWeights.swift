// Several weights multiplied with the same activations (Q, K and V; gate and up) in one call
// (`Backend.matMul([W…])`): their rows are counted one after the other, as if the matrices were
// stacked, so that one parallel loop covers them all; their outputs follow each other too.

extension RandomAccessCollection<WeightMatrix> {
    /// Rows of all the weights, counted one after the other.
    public var totalRows: Int { reduce(0) { $0 + $1.rows } }

    /// For each weight that `rows` (counted across the weights one after the other) reaches:
    /// body(weight, rows of the weights before it, its own rows within `rows`).
    @inline(__always)
    func forEachPart(of rows: Range<Int>, _ body: (WeightMatrix, Int, Range<Int>) -> Void) {
        var start = 0
        for w in self {
            let lo = Swift.max(rows.lowerBound, start), hi = Swift.min(rows.upperBound, start + w.rows)
            if lo < hi { body(w, start, lo - start ..< hi - start) }
            start += w.rows
        }
    }

    /// Groups of `size` rows in all the weights, each weight cut separately (its last group may
    /// be short).
    func groupCount(size: Int) -> Int { reduce(0) { $0 + ($1.rows + size - 1) / size } }

    /// For each group in `groups` (numbered across the weights one after the other, as in
    /// `groupCount`): body(weight, rows of the weights before it, the group's rows in its weight).
    @inline(__always)
    func forEachGroup(_ groups: Range<Int>, size: Int, _ body: (WeightMatrix, Int, Range<Int>) -> Void) {
        var first = 0, start = 0
        for w in self {
            let count = (w.rows + size - 1) / size
            let lo = Swift.max(groups.lowerBound, first), hi = Swift.min(groups.upperBound, first + count)
            for g in lo ..< Swift.max(lo, hi) {
                let j0 = (g - first) * size
                body(w, start, j0 ..< Swift.min(j0 + size, w.rows))
            }
            first += count
            start += w.rows
        }
    }
}
