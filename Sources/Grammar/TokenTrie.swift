/// A vocabulary as a byte trie, so that masking walks each shared prefix once: all the tokens
/// that start with `"na` are checked against the grammar by feeding `"`, `n`, `a` a single time,
/// and a whole subtree is dropped as soon as its prefix cannot continue. Tokens are byte strings,
/// so a path may stop inside a UTF-8 character; the matcher keeps the partial character.
public final class TokenTrie: Sendable {
    /// Per node: its children's slice of `childBytes`/`childNodes`, its tokens' slice of `tokenIDs`.
    private let childStart: [Int32]
    private let childCount: [Int32]
    private let childBytes: [UInt8]
    private let childNodes: [Int32]
    private let tokenStart: [Int32]
    private let tokenCount: [Int32]
    private let tokenIDs: [Int32]
    /// Number of token ids (the size of a mask).
    public let vocabularySize: Int

    /// `tokens[id]` is the text of token `id`; empty ones (control tokens) are left out.
    public init(tokens: [[UInt8]]) {
        vocabularySize = tokens.count
        let order = tokens.indices.filter { !tokens[$0].isEmpty }.sorted { tokens[$0].lexicographicallyPrecedes(tokens[$1]) }
        var childStart: [Int32] = [], childCount: [Int32] = [], childBytes: [UInt8] = [], childNodes: [Int32] = []
        var tokenStart: [Int32] = [], tokenCount: [Int32] = [], tokenIDs: [Int32] = []

        // Builds the node for order[range], whose tokens share their first `depth` bytes.
        func build(_ range: Range<Int>, depth: Int) -> Int32 {
            let node = Int32(childStart.count)
            childStart.append(0); childCount.append(0); tokenStart.append(0); tokenCount.append(0)
            var i = range.lowerBound
            tokenStart[Int(node)] = Int32(tokenIDs.count)
            while i < range.upperBound, tokens[order[i]].count == depth {
                tokenIDs.append(Int32(order[i]))
                i += 1
            }
            tokenCount[Int(node)] = Int32(tokenIDs.count) - tokenStart[Int(node)]
            var groups: [(UInt8, Range<Int>)] = []
            while i < range.upperBound {
                let byte = tokens[order[i]][depth]
                var j = i + 1
                while j < range.upperBound, tokens[order[j]][depth] == byte { j += 1 }
                groups.append((byte, i ..< j))
                i = j
            }
            let start = childBytes.count
            childStart[Int(node)] = Int32(start)
            childCount[Int(node)] = Int32(groups.count)
            childBytes += groups.map(\.0)
            childNodes += Array(repeating: 0, count: groups.count)
            for (k, group) in groups.enumerated() {
                let child = build(group.1, depth: depth + 1)
                childNodes[start + k] = child
            }
            return node
        }
        _ = build(0 ..< order.count, depth: 0)
        self.childStart = childStart
        self.childCount = childCount
        self.childBytes = childBytes
        self.childNodes = childNodes
        self.tokenStart = tokenStart
        self.tokenCount = tokenCount
        self.tokenIDs = tokenIDs
    }

    /// Number of nodes (for tests and the lecture's figures).
    public var nodeCount: Int { childStart.count }

    /// Sets `mask[id]` for every token whose bytes can come next in `matcher`'s state (other
    /// entries are left as they are; pass a mask of `false`).
    public func allowed(by matcher: GrammarMatcher, into mask: inout [Bool]) {
        let pool = matcher.pool
        // Depth-first with an explicit stack of (node, state): a refused byte drops its subtree.
        var pending: [(node: Int32, state: Int32)] = [(0, matcher.state)]
        while let (node, state) = pending.popLast() {
            let n = Int(node)
            if n != 0 {
                for t in Int(tokenStart[n]) ..< Int(tokenStart[n] + tokenCount[n]) { mask[Int(tokenIDs[t])] = true }
            }
            for c in Int(childStart[n]) ..< Int(childStart[n] + childCount[n]) {
                let next = pool.next(state, childBytes[c])
                if next >= 0 { pending.append((childNodes[c], next)) }
            }
        }
    }
}
