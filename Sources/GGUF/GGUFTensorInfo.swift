/// Where one tensor lives in a GGUF file and what it holds.
///
/// `shape` is in ggml order: `shape[0]` is the number of values in one row (the fastest
/// varying dimension), so a weight matrix of `rows × columns` is stored as `[columns, rows]`.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    public let type: GGMLType
    /// ggml dimensions, innermost first (`ne[0]`, `ne[1]`, …).
    public let shape: [Int]
    /// Offset of the data from the start of the data section.
    public let offset: Int
    /// Offset of the data from the start of the file.
    public let fileOffset: Int
    /// Bytes of data.
    public let byteCount: Int

    /// Total number of values.
    public var elementCount: Int { shape.reduce(1, *) }
    /// Values in one row (`ne[0]`).
    public var columns: Int { shape.first ?? 1 }
    /// Number of rows: the product of every dimension but the first.
    public var rows: Int { shape.dropFirst().reduce(1, *) }
    /// Bytes in one row.
    public var rowByteCount: Int { columns / type.blockSize * type.bytesPerBlock }
}
