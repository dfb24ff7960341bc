/// The keys and values of every token seen so far, per block, so that each new token attends
/// to the past without recomputing it.
///
/// Layout per block: keys and values `[slots, h_kv, d_head]` (keys after RoPE). A block that
/// sees every position has one slot per position. A sliding-window block (Gemma 3's local
/// layers) only ever reads the last `window` positions, so it keeps window − 1 + batch slots and
/// reuses them in turn: position p lives in slot p mod slots (a ring).
/// Memory is reserved at creation and never grows: a request past `capacity` is an error.
public final class KVCache {
    /// Positions the cache can hold.
    public let capacity: Int
    /// h_kv · d_head: floats per position per block.
    public let width: Int
    /// Positions filled (the next token goes at this position).
    public internal(set) var count = 0
    /// slots[block]: positions block `block` keeps (capacity, or fewer for a windowed block).
    public let slots: [Int]

    /// keys[block]: [slots, h_kv, d_head]
    let keys: [UnsafeMutableBufferPointer<Float>]
    /// values[block]: [slots, h_kv, d_head]
    let values: [UnsafeMutableBufferPointer<Float>]

    /// windows[block]: keys one query sees on that block (nil: all); `batch`: most tokens one
    /// forward pass adds.
    init(blocks: Int, capacity: Int, width: Int, windows: [Int?]? = nil, batch: Int = 1) {
        self.capacity = capacity
        self.width = width
        // A call of T tokens at positions s ..< s + T reads keys s − window + 1 ..< s + T.
        slots = (0 ..< blocks).map { i in
            guard let window = windows?[i] else { return capacity }
            return min(capacity, window - 1 + batch)
        }
        // Not initialized: pages are touched only as positions are written.
        keys = slots.map { .allocateAligned($0 * width) }
        values = slots.map { .allocateAligned($0 * width) }
    }

    deinit {
        for buffer in keys + values { buffer.deallocate() }
    }

    /// The slot of `position` in `block`.
    @inline(__always)
    func slot(block: Int, position: Int) -> Int {
        let n = slots[block]
        return n == capacity ? position : position % n
    }

    /// Keys of `block` at `position`: [h_kv, d_head]
    func key(block: Int, position: Int) -> UnsafeMutableBufferPointer<Float> {
        keys[block].slice(slot(block: block, position: position) * width, width)
    }

    /// Values of `block` at `position`: [h_kv, d_head]
    func value(block: Int, position: Int) -> UnsafeMutableBufferPointer<Float> {
        values[block].slice(slot(block: block, position: position) * width, width)
    }

    /// Calls body(positions, slot of the first) for the positions `range` of `block` split into
    /// runs of consecutive slots (one run, or two where the ring wraps).
    @inline(__always)
    func forEachRun(block: Int, _ range: Range<Int>, _ body: (Range<Int>, Int) -> Void) {
        var p = range.lowerBound
        let n = slots[block]
        while p < range.upperBound {
            let s = slot(block: block, position: p)
            let end = min(range.upperBound, p + (n - s))
            body(p ..< end, s)
            p = end
        }
    }

    /// Positions of `block` still held: all of them, or the last `slots` for a windowed block.
    public func keptPositions(block: Int) -> Range<Int> { max(0, count - slots[block]) ..< count }

    /// A read-only copy of the cached keys of `block`, in position order: [kept, h_kv, d_head]
    /// (kept = `keptPositions(block:)`).
    public func keys(block: Int) -> [Float] { copy(keys[block], block) }

    /// A read-only copy of the cached values of `block`: [kept, h_kv, d_head]
    public func values(block: Int) -> [Float] { copy(values[block], block) }

    private func copy(_ buffer: UnsafeMutableBufferPointer<Float>, _ block: Int) -> [Float] {
        var out: [Float] = []
        forEachRun(block: block, keptPositions(block: block)) { run, s in
            out += buffer[s * width ..< (s + run.count) * width]
        }
        return out
    }
}
