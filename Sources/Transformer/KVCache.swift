/// The keys and values of every token seen so far, per block, so that each new token attends
/// to the past without recomputing it.
///
/// Layout per block: keys and values `[positions, h_kv, d_head]` (keys after RoPE). Memory is
/// reserved for `capacity` positions at creation and never grows: a request past it is an error.
public final class KVCache {
    /// Positions the cache can hold.
    public let capacity: Int
    /// h_kv · d_head: floats per position per block.
    public let width: Int
    /// Positions filled (the next token goes at this position).
    public internal(set) var count = 0

    /// keys[block]: [capacity, h_kv, d_head]
    let keys: [UnsafeMutableBufferPointer<Float>]
    /// values[block]: [capacity, h_kv, d_head]
    let values: [UnsafeMutableBufferPointer<Float>]

    init(blocks: Int, capacity: Int, width: Int) {
        self.capacity = capacity
        self.width = width
        // Not initialized: pages are touched only as positions are written.
        keys = (0 ..< blocks).map { _ in .allocate(capacity: capacity * width) }
        values = (0 ..< blocks).map { _ in .allocate(capacity: capacity * width) }
    }

    deinit {
        for buffer in keys + values { buffer.deallocate() }
    }

    /// Keys of `block` at `position`: [h_kv, d_head]
    func key(block: Int, position: Int) -> UnsafeMutableBufferPointer<Float> {
        keys[block].slice(position * width, width)
    }

    /// Values of `block` at `position`: [h_kv, d_head]
    func value(block: Int, position: Int) -> UnsafeMutableBufferPointer<Float> {
        values[block].slice(position * width, width)
    }

    /// A read-only copy of the cached keys of `block`: [count, h_kv, d_head]
    public func keys(block: Int) -> [Float] { Array(keys[block].prefix(count * width)) }

    /// A read-only copy of the cached values of `block`: [count, h_kv, d_head]
    public func values(block: Int) -> [Float] { Array(values[block].prefix(count * width)) }
}

extension UnsafeMutableBufferPointer where Element == Float {
    /// `count` floats starting at `start`.
    @inline(__always)
    func slice(_ start: Int, _ count: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: baseAddress! + start, count: count)
    }

    /// The same floats, read-only.
    @inline(__always)
    var readOnly: UnsafeBufferPointer<Float> { UnsafeBufferPointer(self) }
}
