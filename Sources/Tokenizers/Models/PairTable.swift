/// A hash map from a pair of symbol ids to the merge that joins them: its rank and result.
///
/// Built once from `tokenizer.ggml.merges`; looked up for every adjacent pair while merging,
/// so it is a flat open-addressing table with a multiplicative hash rather than a `Dictionary`,
/// and each slot keeps key, rank and result together (16 bytes: one cache miss per probe).
struct PairTable: Sendable {
    private struct Slot {
        var key: UInt64     // left << 32 | right, or `empty`
        var rank: Int32
        var result: Int32
    }

    private var slots: [Slot]
    private var shift: UInt64
    private(set) var count = 0
    private static let empty = UInt64.max

    init(expectedCount: Int) {
        var bits: UInt64 = 4
        while (1 << bits) < expectedCount * 2 { bits += 1 }
        slots = [Slot](repeating: Slot(key: Self.empty, rank: 0, result: 0), count: 1 << bits)
        shift = 64 - bits
    }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    private func slot(of key: UInt64) -> Int {
        Int((key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// Adds the merge unless the pair already has one: the first (lowest) rank wins, as
    /// `bpe_ranks.emplace` keeps the first.
    mutating func insertIfAbsent(left: Int32, right: Int32, rank: Int32, result: Int32) {
        let k = Self.key(left, right)
        var s = slot(of: k)
        while slots[s].key != Self.empty {
            if slots[s].key == k { return }
            s = (s + 1) & (slots.count - 1)
        }
        slots[s] = Slot(key: k, rank: rank, result: result)
        count += 1
    }

    /// The merge of `left` followed by `right`, if there is one.
    @inline(__always)
    func find(left: Int32, right: Int32) -> (rank: Int32, result: Int32)? {
        let k = Self.key(left, right)
        var s = slot(of: k)
        return slots.withUnsafeBufferPointer { table in
            while true {
                let stored = table[s]
                if stored.key == k { return (stored.rank, stored.result) }
                if stored.key == Self.empty { return nil }
                s = (s + 1) & (table.count - 1)
            }
        }
    }
}
