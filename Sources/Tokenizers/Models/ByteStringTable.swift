/// A hash map from byte strings to token ids, built once, looked up without allocating.
///
/// Token texts are compared as bytes, never as Swift `String`s: `String` equality follows
/// Unicode canonical equivalence, so "é" (U+00E9) and "e\u{301}" would be the same key, while
/// llama.cpp's `std::unordered_map<std::string, …>` keeps them apart. Keys live end to end in
/// one buffer; slots use open addressing with linear probing at load factor ≤ 1/2.
struct ByteStringTable: Sendable {
    private var keyBytes: [UInt8] = []
    private var keyStart: [Int32] = []      // [entries + 1]: key i is keyBytes[keyStart[i] ..< keyStart[i+1]]
    private var values: [Int32] = []        // [entries]
    private var hashes: [UInt32] = []       // [entries]
    /// [capacity]: hash << 32 | entry index, or `empty`. The hash sits in the slot so that a
    /// probe touches one cache line unless the key really matches.
    private var slots: [UInt64]
    private static let empty = UInt64.max
    private var mask: Int

    init(expectedCount: Int) {
        var capacity = 16
        while capacity < expectedCount * 2 { capacity <<= 1 }
        slots = [UInt64](repeating: Self.empty, count: capacity)
        mask = capacity - 1
        keyStart = [0]
        keyStart.reserveCapacity(expectedCount + 1)
        values.reserveCapacity(expectedCount)
        hashes.reserveCapacity(expectedCount)
    }

    var count: Int { values.count }

    /// FNV-1a, 64-bit, folded to 32: cheap for the short keys tokens are.
    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return UInt32(truncatingIfNeeded: h ^ (h >> 32))
    }

    /// Sets `key` to `value`; a key set twice keeps the later value, as `token_to_id[word] = i` does.
    mutating func set(_ key: UnsafeBufferPointer<UInt8>, _ value: Int32) {
        let h = Self.hash(key)
        var slot = Int(h) & mask
        while slots[slot] != Self.empty {
            let entry = Int(slots[slot] & 0xFFFF_FFFF)
            if UInt32(slots[slot] >> 32) == h && equals(entry, key) {
                values[entry] = value
                return
            }
            slot = (slot + 1) & mask
        }
        if (values.count + 1) * 2 > slots.count {
            grow()
            set(key, value)
            return
        }
        slots[slot] = UInt64(h) << 32 | UInt64(values.count)
        keyBytes.append(contentsOf: key)
        keyStart.append(Int32(keyBytes.count))
        values.append(value)
        hashes.append(h)
    }

    mutating func set(_ key: [UInt8], _ value: Int32) {
        key.withUnsafeBufferPointer { set($0, value) }
    }

    /// The value of `key`, or nil.
    @inline(__always)
    func find(_ key: UnsafeBufferPointer<UInt8>) -> Int32? {
        let h = Self.hash(key)
        var slot = Int(h) & mask
        while true {
            let stored = slots[slot]
            if stored == Self.empty { return nil }
            if UInt32(stored >> 32) == h && equals(Int(stored & 0xFFFF_FFFF), key) { return values[Int(stored & 0xFFFF_FFFF)] }
            slot = (slot + 1) & mask
        }
    }

    func find(_ key: [UInt8]) -> Int32? {
        key.withUnsafeBufferPointer { find($0) }
    }

    @inline(__always)
    private func equals(_ entry: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = Int(keyStart[entry]), end = Int(keyStart[entry + 1])
        guard end - start == key.count else { return false }
        return keyBytes.withUnsafeBufferPointer { stored in
            for k in 0 ..< key.count where stored[start + k] != key[k] { return false }
            return true
        }
    }

    private mutating func grow() {
        let capacity = slots.count * 2
        slots = [UInt64](repeating: Self.empty, count: capacity)
        mask = capacity - 1
        for entry in 0 ..< values.count {
            var slot = Int(hashes[entry]) & mask
            while slots[slot] != Self.empty { slot = (slot + 1) & mask }
            slots[slot] = UInt64(hashes[entry]) << 32 | UInt64(entry)
        }
    }
}
