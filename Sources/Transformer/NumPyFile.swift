import Foundation

/// Writes float32 arrays in NumPy's `.npy` format (version 1.0), readable by `numpy.load`:
///
///     | "\x93NUMPY" | 1 | 0 | header length: u16 LE | header: Python dict literal, space-padded,
///       ending in "\n", so that the data starts at a multiple of 64 bytes | data: <f4, C order |
public enum NumPyFile {
    /// The bytes of a `.npy` file holding `values` with `shape` (row-major).
    public static func encode(_ values: [Float], shape: [Int]) -> [UInt8] {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        let dims = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let length = UInt16(header.utf8.count)
        bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
        bytes += Array(header.utf8)
        bytes.reserveCapacity(bytes.count + values.count * 4)
        for v in values {
            let bits = v.bitPattern.littleEndian
            bytes += [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8((bits >> 16) & 0xFF), UInt8(bits >> 24)]
        }
        return bytes
    }

    /// Writes `values` with `shape` to `path`.
    public static func write(_ values: [Float], shape: [Int], to path: String) throws {
        try Data(encode(values, shape: shape)).write(to: URL(fileURLWithPath: path))
    }
}
