import Foundation
import GGUF
import Testing

/// Every way a file can lie gives a typed error with the file name and the offset.
@Suite struct MalformedFileTests {
    let good = sampleFile().serialized()

    func patched(_ offset: Int, _ bytes: [UInt8]) -> [UInt8] {
        var copy = good
        copy.replaceSubrange(offset ..< offset + bytes.count, with: bytes)
        return copy
    }

    func le64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }

    @Test func wrongMagic() {
        let e = parseError(patched(0, Array("GGML".utf8)), name: "bad.gguf")
        #expect(e?.kind == .badMagic(found: Array("GGML".utf8)))
        #expect(e?.offset == 0)
        #expect(e?.description.hasPrefix("bad.gguf: offset 0: not a GGUF file") == true)
    }

    @Test func unknownVersions() {
        #expect(parseError(patched(4, le32(1)))?.kind == .unsupportedVersion(1))
        #expect(parseError(patched(4, le32(4)))?.kind == .unsupportedVersion(4))
        let bigEndian = parseError(patched(4, le32(UInt32(3).byteSwapped)))
        #expect(bigEndian?.message.contains("big-endian") == true)
    }

    @Test func emptyAndTinyFiles() {
        for n in 0 ..< 24 {
            let e = parseError(Array(good.prefix(n)))
            #expect(e != nil, "prefix \(n)")
        }
    }

    @Test func absurdCounts() {
        // tensor count, then metadata count, each far larger than the file could hold
        #expect(parseError(patched(8, le64(1 << 40)))?.kind ==
                .countTooLarge(what: "tensor count", count: 1 << 40, remaining: good.count - 16))
        if case .countTooLarge? = parseError(patched(16, le64(.max)))?.kind {} else { Issue.record("metadata count") }
        // the first key's length
        let e = parseError(patched(24, le64(.max)))
        #expect(e?.offset == 24)
        if case .countTooLarge? = e?.kind {} else { Issue.record("key length: \(String(describing: e))") }
    }

    /// Builds a file by hand around one tensor info, to control every field.
    func fileWithTensor(dims: [UInt64], type: UInt32, offset: UInt64, dataBytes: Int,
                        name: String = "t") -> [UInt8] {
        var b: [UInt8] = Array("GGUF".utf8) + le32(3) + le64(1) + le64(0)
        b += le64(UInt64(name.utf8.count)) + Array(name.utf8)
        b += le32(UInt32(dims.count))
        for d in dims { b += le64(d) }
        b += le32(type) + le64(offset)
        while b.count % 32 != 0 { b.append(0) }
        return b + Array(repeating: 0, count: dataBytes)
    }

    @Test func tensorInfoProblems() {
        #expect(parseError(fileWithTensor(dims: [4], type: 0, offset: 0, dataBytes: 16)) == nil)
        #expect(parseError(fileWithTensor(dims: [1 << 40, 1 << 40], type: 0, offset: 0, dataBytes: 16))?.kind ==
                .dimensionOverflow(tensor: "t", shape: [1 << 40, 1 << 40]))
        #expect(parseError(fileWithTensor(dims: [4], type: 99, offset: 0, dataBytes: 16))?.kind ==
                .unknownTensorType(tensor: "t", id: 99))
        #expect(parseError(fileWithTensor(dims: [4], type: 0, offset: 3, dataBytes: 16))?.kind ==
                .misalignedTensor(tensor: "t", offset: 3, alignment: 32))
        #expect(parseError(fileWithTensor(dims: [4], type: 0, offset: 64, dataBytes: 16))?.kind ==
                .unexpectedTensorOffset(tensor: "t", offset: 64, expected: 0))
        #expect(parseError(fileWithTensor(dims: [64], type: 0, offset: 0, dataBytes: 16))?.kind ==
                .tensorOutOfBounds(tensor: "t", end: 256, dataSize: 16))
        #expect(parseError(fileWithTensor(dims: [1, 2, 3, 4, 5], type: 0, offset: 0, dataBytes: 16))?.kind ==
                .tooManyDimensions(tensor: "t", dimensions: 5))
        #expect(parseError(fileWithTensor(dims: [16], type: 2, offset: 0, dataBytes: 32))?.kind ==
                .rowNotWholeBlocks(tensor: "t", type: .q4_0, columns: 16))
        #expect(parseError(fileWithTensor(dims: [4], type: 0, offset: 0, dataBytes: 200))?.kind ==
                .trailingBytes(count: 200 - 32))
    }

    @Test func duplicateTensorNames() {
        var w = GGUFWriter()
        w.addTensor(name: "same", shape: [2], floats: [1, 2])
        w.addTensor(name: "same", shape: [2], floats: [3, 4])
        #expect(parseError(w.serialized())?.kind == .duplicateTensor("same"))
    }

    @Test func duplicateKeysAndBadValues() {
        // key "a" = uint8 1, twice
        let kv: [UInt8] = le64(1) + Array("a".utf8) + le32(0) + [1]
        let twice = Array("GGUF".utf8) + le32(3) + le64(0) + le64(2) + kv + kv
        #expect(parseError(twice)?.kind == .duplicateKey("a"))
        let unknown = Array("GGUF".utf8) + le32(3) + le64(0) + le64(1) + le64(1) + Array("a".utf8) + le32(13) + [1]
        #expect(parseError(unknown)?.kind == .unknownValueType(13, key: "a"))
        // arrays of arrays of arrays …, deeper than any real file
        var deep = Array("GGUF".utf8) + le32(3) + le64(0) + le64(1) + le64(1) + Array("a".utf8) + le32(9)
        for _ in 0 ..< 10 { deep += le32(9) + le64(1) }
        deep += le32(0) + le64(0)
        #expect(parseError(deep)?.kind == .nestingTooDeep(key: "a"))
    }

    @Test func badAlignment() {
        var w = GGUFWriter()
        w.set("general.alignment", .uint32(3))
        #expect(parseError(w.serialized())?.kind == .badAlignment(3))
    }

    /// Truncating the sample at every byte gives an error naming an offset within the file.
    @Test func truncatedAnywhere() {
        for n in 0 ..< good.count {
            guard let e = parseError(Array(good.prefix(n))) else {
                // Only the tail padding after the last tensor may go without harm.
                #expect(n >= good.count - 32, "prefix \(n) parsed")
                continue
            }
            #expect((e.offset ?? 0) <= n)
        }
    }
}
