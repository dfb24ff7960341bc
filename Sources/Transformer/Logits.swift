/// The logits of the last evaluated token, read in place from the session's buffer.   [V]
///
/// No copy is made: the values stay in the session's logits buffer, which this view keeps
/// alive. They are overwritten by the session's next `evaluate`; copy them (`Array(logits)`)
/// to keep them longer.
public struct Logits: RandomAccessCollection {
    /// Keeps the buffer allocated while the view exists.
    private let owner: AnyObject
    private let values: UnsafeBufferPointer<Float>

    init(owner: AnyObject, values: UnsafeBufferPointer<Float>) {
        self.owner = owner
        self.values = values
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { values.count }
    public subscript(position: Int) -> Float { values[position] }

    /// Calls `body` with the values as a buffer (for kernels and samplers).
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try withExtendedLifetime(owner) { try body(values) }
    }
}
