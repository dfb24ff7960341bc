#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds a GGUF file (version 3) from metadata and tensors.
///
/// Tests use it to make small models in code; `loupe quantize` uses it to write a re-quantized
/// model. Keys and tensors are written in the order they were added, each tensor's data padded
/// to `alignment`, exactly as ggml's `gguf_write_to_file` lays a file out.
public struct GGUFWriter: Sendable {
    /// A tensor waiting to be written.
    public struct Tensor: Sendable {
        public let name: String
        public let type: GGMLType
        /// ggml order: `shape[0]` values per row.
        public let shape: [Int]
        public let data: [UInt8]
    }

    public private(set) var keys: [String] = []
    public private(set) var values: [String: GGUFValue] = [:]
    public private(set) var tensors: [Tensor] = []
    public let alignment: Int

    /// A writer whose tensor data is aligned to `alignment` bytes (a power of two).
    /// A value other than 32 is also recorded as `general.alignment`.
    public init(alignment: Int = 32) {
        precondition(alignment > 0 && alignment & (alignment - 1) == 0, "alignment must be a power of two")
        self.alignment = alignment
        if alignment != 32 { set("general.alignment", .uint32(UInt32(alignment))) }
    }

    /// Sets `key` (replacing its value, keeping its place if it was already set).
    public mutating func set(_ key: String, _ value: GGUFValue) {
        if values[key] == nil { keys.append(key) }
        values[key] = value
    }

    /// Adds a tensor; `data` must hold exactly the bytes its type and shape need.
    public mutating func addTensor(name: String, type: GGMLType, shape: [Int], data: [UInt8]) {
        precondition(type.byteCount(elements: shape.reduce(1, *)) == data.count,
                     "\(name): \(data.count) bytes for \(type) \(shape)")
        tensors.append(Tensor(name: name, type: type, shape: shape, data: data))
    }

    /// Adds an F32 tensor.
    public mutating func addTensor(name: String, shape: [Int], floats: [Float]) {
        let bytes = floats.withUnsafeBytes { Array($0) }
        addTensor(name: name, type: .f32, shape: shape, data: bytes)
    }

    /// The whole file as bytes.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.append(contentsOf: Array("GGUF".utf8))
        append(UInt32(3), to: &out)
        append(UInt64(tensors.count), to: &out)
        append(UInt64(keys.count), to: &out)
        for key in keys {
            appendString(key, to: &out)
            append(values[key]!.type.rawValue, to: &out)
            appendValue(values[key]!, to: &out)
        }
        var offset = 0
        for t in tensors {
            appendString(t.name, to: &out)
            append(UInt32(t.shape.count), to: &out)
            for d in t.shape { append(UInt64(d), to: &out) }
            append(t.type.rawValue, to: &out)
            append(UInt64(offset), to: &out)
            offset += padded(t.data.count)
        }
        out.append(contentsOf: repeatElement(0, count: padded(out.count) - out.count))
        for t in tensors {
            out.append(contentsOf: t.data)
            out.append(contentsOf: repeatElement(0, count: padded(t.data.count) - t.data.count))
        }
        return out
    }

    /// Writes the file to `path`, replacing it.
    public func write(to path: String) throws(GGUFError) {
        let bytes = serialized()
        guard let f = fopen(path, "wb") else {
            throw GGUFError(file: path, offset: nil, kind: .cannotWrite(reason: String(cString: strerror(errno))))
        }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        let closed = fclose(f)
        guard written == bytes.count, closed == 0 else {
            throw GGUFError(file: path, offset: nil, kind: .cannotWrite(reason: String(cString: strerror(errno))))
        }
    }

    private func padded(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    private func append<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    private func appendString(_ s: String, to out: inout [UInt8]) {
        append(UInt64(s.utf8.count), to: &out)
        out.append(contentsOf: s.utf8)
    }

    private func appendValue(_ value: GGUFValue, to out: inout [UInt8]) {
        switch value {
        case .uint8(let v): append(v, to: &out)
        case .int8(let v): append(v, to: &out)
        case .uint16(let v): append(v, to: &out)
        case .int16(let v): append(v, to: &out)
        case .uint32(let v): append(v, to: &out)
        case .int32(let v): append(v, to: &out)
        case .uint64(let v): append(v, to: &out)
        case .int64(let v): append(v, to: &out)
        case .float32(let v): append(v.bitPattern, to: &out)
        case .float64(let v): append(v.bitPattern, to: &out)
        case .bool(let v): append(UInt8(v ? 1 : 0), to: &out)
        case .string(let s): appendString(s, to: &out)
        case .array(let type, let elements):
            append(type.rawValue, to: &out)
            append(UInt64(elements.count), to: &out)
            for e in elements {
                precondition(e.type == type, "array of \(type) holds a \(e.type)")
                appendValue(e, to: &out)
            }
        }
    }
}
