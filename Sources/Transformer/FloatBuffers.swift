// The float buffers of a session: activations and KV cache.

extension UnsafeMutableBufferPointer where Element == Float {
    /// `count` uninitialized floats at a 64-byte boundary (a cache line): the kernels' 64-byte
    /// vector loads of a row then never span two lines. (`allocate(capacity:)` gives malloc's
    /// 16 bytes; measured: the batched unembedding 15 % slower with every load split.) Freed by
    /// `deallocate()`.
    static func allocateAligned(_ count: Int) -> UnsafeMutableBufferPointer<Float> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, count) * MemoryLayout<Float>.stride, alignment: 64)
        return UnsafeMutableBufferPointer(start: raw.bindMemory(to: Float.self, capacity: count), count: count)
    }

    /// `count` floats starting at `start`.
    @inline(__always)
    func slice(_ start: Int, _ count: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: baseAddress! + start, count: count)
    }

    /// The same floats, read-only.
    @inline(__always)
    var readOnly: UnsafeBufferPointer<Float> { UnsafeBufferPointer(self) }
}
