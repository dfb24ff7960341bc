/// A cursor over the bytes of a file that never reads past the end.
///
/// GGUF is little-endian and unaligned; every read checks the bytes left first and throws a
/// `GGUFError` naming the offset, so a truncated or lying file cannot crash the reader.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let file: String
    private(set) var offset: Int = 0

    init(bytes: UnsafeRawBufferPointer, file: String) {
        self.bytes = bytes
        self.file = file
    }

    var remaining: Int { bytes.count - offset }

    func error(_ kind: GGUFError.Kind, at position: Int? = nil) -> GGUFError {
        GGUFError(file: file, offset: position ?? offset, kind: kind)
    }

    mutating func need(_ count: Int, _ what: @autoclosure () -> String) throws(GGUFError) {
        guard count <= remaining else {
            throw error(.truncated(needed: count, available: remaining, reading: what()))
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(GGUFError) -> T {
        try need(MemoryLayout<T>.size, what())
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws(GGUFError) -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readDouble(_ what: @autoclosure () -> String) throws(GGUFError) -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// A count that announces `elementSize`-byte items: refused when they could not fit in
    /// the rest of the file, so no allocation is ever larger than the file.
    mutating func readCount(_ what: @autoclosure () -> String, elementSize: Int) throws(GGUFError) -> Int {
        let start = offset
        let count = try read(UInt64.self, what())
        guard count <= UInt64(remaining / max(elementSize, 1)) else {
            throw error(.countTooLarge(what: what(), count: count, remaining: remaining), at: start)
        }
        return Int(count)
    }

    /// A GGUF string: a `uint64` byte length, then UTF-8 bytes (not NUL-terminated).
    /// Invalid UTF-8 is repaired with U+FFFD rather than refused, as other GGUF readers do.
    mutating func readString(_ what: @autoclosure () -> String) throws(GGUFError) -> String {
        let length = try readCount("length of \(what())", elementSize: 1)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + length])
        offset += length
        return String(decoding: slice, as: UTF8.self)
    }

    mutating func skip(to position: Int, _ what: String) throws(GGUFError) {
        guard position <= bytes.count else {
            throw error(.truncated(needed: position - offset, available: remaining, reading: what))
        }
        offset = position
    }
}
