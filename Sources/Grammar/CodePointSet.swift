/// The characters one grammar element accepts: a union of code-point ranges, possibly negated
/// (`[a-z0-9_]`, `[^"\\]`, a literal's single character, `.`).
public struct CodePointSet: Sendable, Equatable {
    /// Sorted, disjoint, non-adjacent ranges (merged at construction, so that `overlaps` is exact).
    public let ranges: [ClosedRange<UInt32>]
    /// True for `[^…]` and `.`: the set is every code point *outside* `ranges`.
    public let negated: Bool

    public init(ranges: [ClosedRange<UInt32>], negated: Bool = false) {
        var merged: [ClosedRange<UInt32>] = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, r.lowerBound <= last.upperBound &+ 1 {
                merged[merged.count - 1] = last.lowerBound ... max(last.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        self.ranges = merged
        self.negated = negated
    }

    /// One character.
    public init(_ c: UInt32) { self.init(ranges: [c ... c]) }

    /// `.`: any character.
    public static let any = CodePointSet(ranges: [], negated: true)

    /// Whether `c` is in the set.
    @inline(__always)
    public func contains(_ c: UInt32) -> Bool {
        var inRanges = false
        for r in ranges where r.contains(c) { inRanges = true; break }
        return inRanges != negated
    }

    /// Whether some code point of `lo ... hi` is in the set: used when a token ends inside a
    /// UTF-8 character, whose first bytes fix a range of possible code points.
    public func overlaps(_ lo: UInt32, _ hi: UInt32) -> Bool {
        if !negated { return ranges.contains { $0.lowerBound <= hi && lo <= $0.upperBound } }
        // Negated: some point of lo...hi escapes every range (ranges are merged, so one range
        // must cover it all for the answer to be no).
        return !ranges.contains { $0.lowerBound <= lo && hi <= $0.upperBound }
    }
}
