import Transformer

/// Which hook points to cache: names, shorthands, llama.cpp nodes and globs
/// (`blocks.*.attn.hook_pattern`, `*resid_post`). A glob's `*` matches any run of characters
/// and `?` one character, against TransformerLens names.
///
///     let filter = try HookFilter(["pattern 3", "blocks.*.hook_resid_post", "l_out-29"])
///     let points = try filter.points(blocks: 30)   // 1 + 30 + 1 points
public struct HookFilter: Sendable, Equatable {
    /// The names as given.
    public let patterns: [String]

    public init(_ patterns: [String]) {
        self.patterns = patterns
    }

    /// Every hook point.
    public static let all = HookFilter(["*"])

    /// The points the filter selects, in forward-pass order. Throws `HookNameError` for a name
    /// that is neither a hook point nor a glob matching one. `every`: the model's points
    /// (`HookPoint.all(configuration)`; default: a Llama model's).
    public func points(blocks: Int, among every: [HookPoint]? = nil) throws(HookNameError) -> [HookPoint] {
        let every = every ?? HookPoint.all(blocks: blocks)
        var chosen = Set<HookPoint>()
        for pattern in patterns {
            if let point = HookPoint.named(pattern, blocks: blocks), every.contains(point) {
                chosen.insert(point)
                continue
            }
            let matches = pattern.contains(where: { $0 == "*" || $0 == "?" })
                ? every.filter { glob(pattern, matches: $0.name) } : []
            guard !matches.isEmpty else { throw HookNameError(name: pattern, blocks: blocks) }
            chosen.formUnion(matches)
        }
        return every.filter(chosen.contains)
    }
}

/// Shell-style matching of `text` against `pattern` (`*` any run, `?` one character).
func glob(_ pattern: String, matches text: String) -> Bool {
    let p = Array(pattern), t = Array(text)
    // Classic two-pointer wildcard match with backtracking to the last `*`.
    var i = 0, j = 0, star = -1, mark = 0
    while j < t.count {
        if i < p.count, p[i] == "?" || p[i] == t[j] {
            i += 1; j += 1
        } else if i < p.count, p[i] == "*" {
            star = i; mark = j; i += 1
        } else if star >= 0 {
            i = star + 1; mark += 1; j = mark
        } else {
            return false
        }
    }
    while i < p.count, p[i] == "*" { i += 1 }
    return i == p.count
}
