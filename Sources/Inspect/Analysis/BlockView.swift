import Foundation
import GGUF
import Kernels

/// One quantized block of a weight, opened up: its bytes by field, the weights it decodes to,
/// and what re-quantizing those weights gives back (ggml's quantizer is not always a fixed
/// point: the scale search may land elsewhere).
public struct BlockView {
    /// A named run of bytes inside the block (`d`, `m`, `qs`, …).
    public struct Field {
        public let name: String
        public let bytes: [UInt8]
    }

    public let tensor: String
    public let type: GGMLType
    /// Block index within the tensor (row-major: row r holds blocks r·(columns/blockSize)…).
    public let index: Int
    public let fields: [Field]
    /// The block's weights.   [blockSize]
    public let values: [Float]
    /// The weights after quantizing `values` again and decoding; nil when Loupe has no
    /// quantizer for the type.
    public let requantized: [Float]?
    /// True when re-quantizing gave exactly the same bytes.
    public let sameBytes: Bool?

    /// Opens block `index` of tensor `name` of `file`.
    public init(file: GGUFFile, tensor name: String, index: Int) throws(InspectError) {
        guard let info = file.tensor(named: name) else {
            throw InspectError("\(file.path): no tensor named '\(name)' (see `loupe info`; e.g. blk.0.attn_q.weight)")
        }
        let type = info.type
        let perBlock = type.blockSize
        let blocks = info.elementCount / perBlock
        guard index >= 0, index < blocks else {
            throw InspectError("tensor '\(name)' has \(blocks) blocks of \(perBlock) \(type) weights; block \(index) is out of range")
        }
        let layout = blockFields(type)
        guard layout.map(\.1).reduce(0, +) == type.bytesPerBlock else {
            throw InspectError("tensor '\(name)' has type \(type), whose block layout Loupe does not draw")
        }
        let data = file.data(of: info)
        let start = data.baseAddress! + index * type.bytesPerBlock
        var offset = 0
        var fields: [Field] = []
        for (field, size) in layout {
            fields.append(Field(name: field, bytes: (0 ..< size).map { start.load(fromByteOffset: offset + $0, as: UInt8.self) }))
            offset += size
        }
        var values = [Float](repeating: 0, count: perBlock)
        values.withUnsafeMutableBufferPointer { dequantizeRow(type: type, from: start, count: perBlock, into: $0.baseAddress!) }
        self.tensor = name
        self.type = type
        self.index = index
        self.fields = fields
        self.values = values
        if quantizableTypes.contains(type) {
            var bytes = [UInt8](repeating: 0, count: type.bytesPerBlock)
            var again = [Float](repeating: 0, count: perBlock)
            values.withUnsafeBufferPointer { x in
                bytes.withUnsafeMutableBytes { quantizeRow(type: type, from: x.baseAddress!, count: perBlock, into: $0.baseAddress!) }
            }
            bytes.withUnsafeBytes { b in
                again.withUnsafeMutableBufferPointer { dequantizeRow(type: type, from: b.baseAddress!, count: perBlock, into: $0.baseAddress!) }
            }
            requantized = again
            sameBytes = bytes == fields.flatMap(\.bytes)
        } else {
            requantized = nil
            sameBytes = nil
        }
    }

    /// The printout: fields in hex, the weights, the round-trip error.
    public var text: String {
        var lines = ["\(tensor) block \(index): \(type), \(type.blockSize) weights in \(type.bytesPerBlock) bytes"]
        for field in fields {
            var hex: [String] = []
            for (i, b) in field.bytes.enumerated() {
                hex.append(hexByte(b))
                if i % 16 == 15, i + 1 < field.bytes.count { hex.append("\n" + String(repeating: " ", count: 10)) }
            }
            var line = "  " + pad(field.name, 8) + hex.joined(separator: " ").replacingOccurrences(of: "\n ", with: "\n")
            if field.bytes.count == 2, field.name == "d" || field.name == "m" || field.name == "dmin" {
                line += "   (f16 \(format(halfToFloat(field.bytes))))"
            }
            lines.append(line)
        }
        lines.append("  weights: " + values.map(format).joined(separator: " "))
        if let requantized, let sameBytes {
            let error = zip(values, requantized).map { abs($0 - $1) }.max() ?? 0
            lines.append("  re-quantized: " + (sameBytes ? "same bytes" : "different bytes")
                         + ", max |Δweight| \(format(error))")
        } else {
            lines.append("  re-quantized: Loupe has no quantizer for \(type)")
        }
        return lines.joined(separator: "\n")
    }
}

/// The fields of a ggml block, in memory order, with their sizes (ggml-common.h).
func blockFields(_ type: GGMLType) -> [(String, Int)] {
    switch type {
    case .f32: [("value", 4)]
    case .f16, .bf16: [("value", 2)]
    case .q4_0: [("d", 2), ("qs", 16)]
    case .q4_1: [("d", 2), ("m", 2), ("qs", 16)]
    case .q5_0: [("d", 2), ("qh", 4), ("qs", 16)]
    case .q5_1: [("d", 2), ("m", 2), ("qh", 4), ("qs", 16)]
    case .q8_0: [("d", 2), ("qs", 32)]
    case .q2_K: [("scales", 16), ("qs", 64), ("d", 2), ("dmin", 2)]
    case .q3_K: [("hmask", 32), ("qs", 64), ("scales", 12), ("d", 2)]
    case .q4_K: [("d", 2), ("dmin", 2), ("scales", 12), ("qs", 128)]
    case .q5_K: [("d", 2), ("dmin", 2), ("scales", 12), ("qh", 32), ("qs", 128)]
    case .q6_K: [("ql", 128), ("qh", 64), ("scales", 16), ("d", 2)]
    case .q8_K: [("d", 4), ("qs", 256), ("bsums", 32)]
    default: []
    }
}

private func hexByte(_ b: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
}

private func halfToFloat(_ bytes: [UInt8]) -> Float {
    floatFromHalf(UInt16(bytes[0]) | UInt16(bytes[1]) << 8)
}

/// A problem with what the user asked the inspector, said plainly.
public struct InspectError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
