/// A GGUF model file, memory-mapped and parsed.
///
/// Layout (GGUF versions 2 and 3, little-endian):
///
///     | magic "GGUF" | version: u32 | tensor_count: u64 | metadata_kv_count: u64 |
///     | metadata: kv_count × (key: string, type: u32, value) |
///     | tensor infos: tensor_count × (name: string, n_dims: u32, dims: n_dims × u64,
///                                     type: u32, offset: u64) |
///     | padding to `general.alignment` (default 32) |
///     | tensor data: each tensor at data_start + offset |
///
///     string = | length: u64 | UTF-8 bytes |
///     array  = | element type: u32 | count: u64 | count × value |
///
/// Only the header, metadata and tensor infos are parsed; tensor data stays in the mapping
/// and is reached through `data(of:)` without copying.
public final class GGUFFile: @unchecked Sendable {
    /// The path given to `init(path:)`.
    public let path: String
    /// GGUF version (2 or 3).
    public let version: UInt32
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    /// Metadata values by key.
    public let metadata: [String: GGUFValue]
    /// Tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    /// Alignment of tensor data (`general.alignment`, 32 when absent).
    public let alignment: Int
    /// Offset of the first byte of tensor data in the file.
    public let dataOffset: Int
    /// Size of the file in bytes.
    public var fileSize: Int { mapping.bytes.count }

    private let mapping: MappedFile
    private let tensorIndex: [String: Int]

    /// Deepest nesting of arrays accepted in metadata (real files use 1).
    static let maxArrayNesting = 4

    /// Maps and parses the file at `path`.
    public convenience init(path: String) throws(GGUFError) {
        try self.init(mapping: MappedFile(path: path))
    }

    /// Parses an already mapped file.
    public init(mapping: MappedFile) throws(GGUFError) {
        self.mapping = mapping
        self.path = mapping.path
        var reader = ByteReader(bytes: mapping.bytes, file: mapping.path)

        // Header
        try reader.need(4, "the magic number")
        let magic = Array(mapping.bytes[0 ..< 4])
        guard magic == Array("GGUF".utf8) else {
            throw reader.error(.badMagic(found: magic), at: 0)
        }
        try reader.skip(to: 4, "the magic number")
        let version = try reader.read(UInt32.self, "the version")
        guard version == 2 || version == 3 else {
            throw reader.error(.unsupportedVersion(version), at: 4)
        }
        self.version = version
        // A tensor info takes at least 4+8+4+8 bytes, a key-value pair at least 8+4+1.
        let tensorCount = try reader.readCount("tensor count", elementSize: 24)
        let metadataCount = try reader.readCount("metadata count", elementSize: 13)

        // Metadata
        var keys: [String] = []
        var values: [String: GGUFValue] = [:]
        keys.reserveCapacity(metadataCount)
        for index in 0 ..< metadataCount {
            let keyOffset = reader.offset
            let key = try reader.readString("metadata key #\(index)")
            guard values[key] == nil else { throw reader.error(.duplicateKey(key), at: keyOffset) }
            let typeOffset = reader.offset
            let typeID = try reader.read(UInt32.self, "type of metadata key '\(key)'")
            guard let type = GGUFValueType(rawValue: typeID) else {
                throw reader.error(.unknownValueType(typeID, key: key), at: typeOffset)
            }
            values[key] = try GGUFFile.readValue(of: type, key: key, depth: 0, from: &reader)
            keys.append(key)
        }
        self.metadataKeys = keys
        self.metadata = values

        // Alignment
        var alignment = 32
        if let a = values["general.alignment"] {
            guard let value = a.intValue, value > 0, value <= 65536, value & (value - 1) == 0 else {
                throw GGUFError(file: path, offset: nil, kind: .badAlignment(UInt64(a.intValue ?? 0)))
            }
            alignment = value
        }
        self.alignment = alignment

        // Tensor infos
        var infos: [(name: String, type: GGMLType, shape: [Int], offset: UInt64, at: Int)] = []
        infos.reserveCapacity(tensorCount)
        var index: [String: Int] = [:]
        for i in 0 ..< tensorCount {
            let start = reader.offset
            let name = try reader.readString("name of tensor #\(i)")
            guard index[name] == nil else { throw reader.error(.duplicateTensor(name), at: start) }
            let dimsOffset = reader.offset
            let dimensionCount = try reader.read(UInt32.self, "dimension count of '\(name)'")
            guard (1 ... 4).contains(dimensionCount) else {
                throw reader.error(.tooManyDimensions(tensor: name, dimensions: dimensionCount), at: dimsOffset)
            }
            var raw: [UInt64] = []
            for d in 0 ..< Int(dimensionCount) {
                raw.append(try reader.read(UInt64.self, "dimension \(d) of '\(name)'"))
            }
            // ggml stores dimensions as int64 and refuses element counts past INT64_MAX.
            var total: UInt64 = 1
            for d in raw {
                let (product, overflow) = total.multipliedReportingOverflow(by: d)
                guard !overflow, d <= UInt64(Int64.max), product <= UInt64(Int64.max) else {
                    throw reader.error(.dimensionOverflow(tensor: name, shape: raw), at: dimsOffset)
                }
                total = product
            }
            let shape = raw.map { Int($0) }
            let typeOffset = reader.offset
            let typeID = try reader.read(UInt32.self, "type of '\(name)'")
            guard let type = GGMLType(rawValue: typeID) else {
                throw reader.error(.unknownTensorType(tensor: name, id: typeID), at: typeOffset)
            }
            guard shape[0] % type.blockSize == 0 else {
                throw reader.error(.rowNotWholeBlocks(tensor: name, type: type, columns: shape[0]), at: typeOffset)
            }
            let offset = try reader.read(UInt64.self, "data offset of '\(name)'")
            index[name] = i
            infos.append((name, type, shape, offset, reader.offset - 8))
        }
        self.tensorIndex = index

        // Tensor data
        let end = reader.offset
        let padded = (end + alignment - 1) / alignment * alignment
        dataOffset = tensorCount == 0 ? min(padded, mapping.bytes.count) : padded
        guard dataOffset <= mapping.bytes.count else {
            throw reader.error(.truncated(needed: dataOffset - end, available: reader.remaining,
                                          reading: "padding before tensor data"), at: end)
        }
        let dataSize = mapping.bytes.count - dataOffset
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(infos.count)
        // As ggml writes them (and as llama.cpp requires): tensors in order, each starting where
        // the previous one ends, padded to the alignment. A count or offset that does not fit
        // this layout means the file is corrupt, even when every offset is in bounds.
        var expected = 0
        for info in infos {
            let elements = info.shape.reduce(1, *)
            guard let bytes = info.type.byteCount(elements: elements) else {
                throw GGUFError(file: path, offset: info.at,
                                kind: .dimensionOverflow(tensor: info.name, shape: info.shape.map { UInt64($0) }))
            }
            guard info.offset % UInt64(alignment) == 0 else {
                throw GGUFError(file: path, offset: info.at,
                                kind: .misalignedTensor(tensor: info.name, offset: info.offset, alignment: alignment))
            }
            guard info.offset == UInt64(expected) else {
                throw GGUFError(file: path, offset: info.at,
                                kind: .unexpectedTensorOffset(tensor: info.name, offset: info.offset, expected: expected))
            }
            let (last, overflow) = info.offset.addingReportingOverflow(UInt64(bytes))
            guard !overflow, last <= UInt64(dataSize) else {
                throw GGUFError(file: path, offset: info.at,
                                kind: .tensorOutOfBounds(tensor: info.name, end: overflow ? .max : last, dataSize: dataSize))
            }
            tensors.append(GGUFTensorInfo(name: info.name, type: info.type, shape: info.shape,
                                          offset: Int(info.offset), fileOffset: dataOffset + Int(info.offset),
                                          byteCount: bytes))
            expected = (Int(last) + alignment - 1) / alignment * alignment
        }
        guard dataSize <= expected + alignment else {
            throw GGUFError(file: path, offset: dataOffset + expected,
                            kind: .trailingBytes(count: dataSize - expected))
        }
        self.tensors = tensors
    }

    private static func readValue(of type: GGUFValueType, key: String, depth: Int,
                                  from reader: inout ByteReader) throws(GGUFError) -> GGUFValue {
        // Messages are built only when something goes wrong: a vocabulary has 10⁵ values.
        func what() -> String { "value of '\(key)'" }
        switch type {
        case .uint8: return .uint8(try reader.read(UInt8.self, what()))
        case .int8: return .int8(try reader.read(Int8.self, what()))
        case .uint16: return .uint16(try reader.read(UInt16.self, what()))
        case .int16: return .int16(try reader.read(Int16.self, what()))
        case .uint32: return .uint32(try reader.read(UInt32.self, what()))
        case .int32: return .int32(try reader.read(Int32.self, what()))
        case .uint64: return .uint64(try reader.read(UInt64.self, what()))
        case .int64: return .int64(try reader.read(Int64.self, what()))
        case .float32: return .float32(try reader.readFloat(what()))
        case .float64: return .float64(try reader.readDouble(what()))
        case .bool: return .bool(try reader.read(UInt8.self, what()) != 0)
        case .string: return .string(try reader.readString(what()))
        case .array:
            guard depth < maxArrayNesting else { throw reader.error(.nestingTooDeep(key: key)) }
            let typeOffset = reader.offset
            let elementID = try reader.read(UInt32.self, "element type of '\(key)'")
            guard let elementType = GGUFValueType(rawValue: elementID) else {
                throw reader.error(.unknownValueType(elementID, key: key), at: typeOffset)
            }
            let count = try reader.readCount("element count of '\(key)'", elementSize: elementType.minimumEncodedSize)
            var elements: [GGUFValue] = []
            elements.reserveCapacity(count)
            for _ in 0 ..< count {
                elements.append(try readValue(of: elementType, key: key, depth: depth + 1, from: &reader))
            }
            return .array(elementType: elementType, elements)
        }
    }

    // MARK: - Tensors

    /// The info of the tensor called `name`, or nil.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The info of the tensor called `name`; throws `missingTensor` when absent.
    public func requireTensor(_ name: String) throws(GGUFError) -> GGUFTensorInfo {
        guard let info = tensor(named: name) else {
            throw GGUFError(file: path, offset: nil, kind: .missingTensor(name))
        }
        return info
    }

    /// The raw bytes of a tensor, inside the mapping (no copy). Valid while `self` is alive.
    public func data(of tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: mapping.bytes[tensor.fileOffset ..< tensor.fileOffset + tensor.byteCount])
    }

    /// The values of an F32 tensor, inside the mapping (no copy).
    public func floats(of tensor: GGUFTensorInfo) -> UnsafeBufferPointer<Float> {
        precondition(tensor.type == .f32, "\(tensor.name) is \(tensor.type), not F32")
        return data(of: tensor).assumingMemoryBound(to: Float.self)
    }

    /// All the bytes of the file (used by tests and fuzzing).
    public var bytes: UnsafeRawBufferPointer { mapping.bytes }
}
