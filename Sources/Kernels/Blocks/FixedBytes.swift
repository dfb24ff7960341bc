// Fixed-size byte arrays for the block structs, built from tuples so that a block has exactly
// ggml's C layout (a C `uint8_t qs[16]` is 16 consecutive bytes, and so is `Bytes16`).

public typealias Bytes4 = (UInt8, UInt8, UInt8, UInt8)
public typealias Bytes8 = (Bytes4, Bytes4)
public typealias Bytes12 = (Bytes4, Bytes4, Bytes4)
public typealias Bytes16 = (Bytes8, Bytes8)
public typealias Bytes32 = (Bytes16, Bytes16)
public typealias Bytes64 = (Bytes32, Bytes32)
public typealias Bytes128 = (Bytes64, Bytes64)
public typealias Bytes256 = (Bytes128, Bytes128)
/// Sixteen `Int16`s (Q8_K's per-16 sums).
public typealias Int16x16 = ((Int16, Int16, Int16, Int16), (Int16, Int16, Int16, Int16),
                             (Int16, Int16, Int16, Int16), (Int16, Int16, Int16, Int16))

let zeroBytes4: Bytes4 = (0, 0, 0, 0)
let zeroBytes8: Bytes8 = (zeroBytes4, zeroBytes4)
let zeroBytes12: Bytes12 = (zeroBytes4, zeroBytes4, zeroBytes4)
let zeroBytes16: Bytes16 = (zeroBytes8, zeroBytes8)
let zeroBytes32: Bytes32 = (zeroBytes16, zeroBytes16)
let zeroBytes64: Bytes64 = (zeroBytes32, zeroBytes32)
let zeroBytes128: Bytes128 = (zeroBytes64, zeroBytes64)
let zeroBytes256: Bytes256 = (zeroBytes128, zeroBytes128)
let zeroInt16x16: Int16x16 = ((0, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0))

/// Reads the bytes of a fixed-size array field.
@inline(__always)
func withBytes<T, R>(_ field: T, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    withUnsafeBytes(of: field, body)
}

/// Writes the bytes of a fixed-size array field.
@inline(__always)
func withMutableBytes<T, R>(_ field: inout T, _ body: (UnsafeMutableRawBufferPointer) -> R) -> R {
    withUnsafeMutableBytes(of: &field, body)
}
