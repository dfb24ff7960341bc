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
    private var hashes: [UInt32] = []       // [entries], to skip most byte comparisons
    private var slots: [Int32]              // [capacity], entry index or -1
    private var mask: Int

    init(expectedCount: Int) {
        var capacity = 16
        while capacity < expectedCount * 2 { capacity <<= 1 }
        slots = [Int32](repeating: -1, count: capacity)
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
        while true {
            let entry = Int(slots[slot])
            if entry < 0 { break }
            if hashes[entry] == h && equals(entry, key) {
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
        slots[slot] = Int32(values.count)
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
            let entry = Int(slots[slot])
            if entry < 0 { return nil }
            if hashes[entry] == h && equals(entry, key) { return values[entry] }
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
        slots = [Int32](repeating: -1, count: capacity)
        mask = capacity - 1
        for entry in 0 ..< values.count {
            var slot = Int(hashes[entry]) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(entry)
        }
    }
}
