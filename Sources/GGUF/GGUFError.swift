/// A GGUF file that cannot be read, with where and why.
///
/// Every problem names the file and, where there is one, the byte offset at which reading
/// went wrong, so that a student (or a fuzzer) sees exactly what is malformed:
/// `model.gguf: offset 24: string length 18446744073709551615 runs past the end of the file (size 1024)`.
public struct GGUFError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        case cannotOpen(reason: String)
        case badMagic(found: [UInt8])
        case unsupportedVersion(UInt32)
        case truncated(needed: Int, available: Int, reading: String)
        case countTooLarge(what: String, count: UInt64, remaining: Int)
        case unknownValueType(UInt32, key: String)
        case nestingTooDeep(key: String)
        case badAlignment(UInt64)
        case tooManyDimensions(tensor: String, dimensions: UInt32)
        case dimensionOverflow(tensor: String, shape: [UInt64])
        case unknownTensorType(tensor: String, id: UInt32)
        case rowNotWholeBlocks(tensor: String, type: GGMLType, columns: Int)
        case misalignedTensor(tensor: String, offset: UInt64, alignment: Int)
        case tensorOutOfBounds(tensor: String, end: UInt64, dataSize: Int)
        case unexpectedTensorOffset(tensor: String, offset: UInt64, expected: Int)
        case trailingBytes(count: Int)
        case duplicateTensor(String)
        case duplicateKey(String)
        case missingKey(String)
        case wrongType(key: String, expected: String, found: GGUFValueType)
        case missingTensor(String)
        case cannotWrite(reason: String)
    }

    /// The file's path as given by the caller.
    public let file: String
    /// Byte offset in the file where the problem was found, if it has one.
    public let offset: Int?
    public let kind: Kind

    public init(file: String, offset: Int?, kind: Kind) {
        self.file = file
        self.offset = offset
        self.kind = kind
    }

    public var description: String {
        let place = offset.map { "\(file): offset \($0): " } ?? "\(file): "
        return place + message
    }

    /// The message without the file and offset.
    public var message: String {
        switch kind {
        case .cannotOpen(let reason):
            return "cannot open: \(reason)"
        case .badMagic(let found):
            let shown = found.map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ")
            return "not a GGUF file: expected magic 'GGUF' (47 47 55 46), found \(shown)"
        case .unsupportedVersion(let v):
            if v.byteSwapped == 2 || v.byteSwapped == 3 {
                return "GGUF version \(v.byteSwapped) in big-endian byte order is not supported"
            }
            return "unsupported GGUF version \(v); Loupe reads versions 2 and 3"
        case .truncated(let needed, let available, let reading):
            return "file ends while reading \(reading): needs \(needed) bytes, \(available) left"
        case .countTooLarge(let what, let count, let remaining):
            return "\(what) \(count) cannot fit in the \(remaining) bytes left in the file"
        case .unknownValueType(let id, let key):
            return "metadata key '\(key)' has unknown value type \(id) (known: 0…12)"
        case .nestingTooDeep(let key):
            return "metadata key '\(key)' nests arrays too deeply"
        case .badAlignment(let a):
            return "general.alignment is \(a); it must be a power of two between 1 and 65536"
        case .tooManyDimensions(let t, let n):
            return "tensor '\(t)' has \(n) dimensions; ggml allows 1 to 4"
        case .dimensionOverflow(let t, let shape):
            return "tensor '\(t)' has shape \(shape) whose element count overflows or is zero-sized in a way ggml refuses"
        case .unknownTensorType(let t, let id):
            return "tensor '\(t)' has unknown type id \(id)"
        case .rowNotWholeBlocks(let t, let type, let columns):
            return "tensor '\(t)' of type \(type) has rows of \(columns) values, not a multiple of its block size \(type.blockSize)"
        case .misalignedTensor(let t, let off, let a):
            return "tensor '\(t)' data offset \(off) is not a multiple of the alignment \(a)"
        case .tensorOutOfBounds(let t, let end, let size):
            return "tensor '\(t)' data ends at \(end), past the end of the data section (\(size) bytes)"
        case .unexpectedTensorOffset(let t, let off, let expected):
            return "tensor '\(t)' data offset is \(off), expected \(expected) (tensors follow each other in order, each padded to the alignment)"
        case .trailingBytes(let n):
            return "\(n) bytes after the last tensor: the counts in the header do not describe this file"
        case .duplicateTensor(let t):
            return "tensor '\(t)' is defined twice"
        case .duplicateKey(let k):
            return "metadata key '\(k)' is defined twice"
        case .missingKey(let k):
            return "metadata key '\(k)' is missing"
        case .wrongType(let k, let expected, let found):
            return "metadata key '\(k)' is \(found), expected \(expected)"
        case .missingTensor(let t):
            return "tensor '\(t)' is missing"
        case .cannotWrite(let reason):
            return "cannot write: \(reason)"
        }
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
