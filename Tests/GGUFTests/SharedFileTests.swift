import Foundation
import GGUF
import Testing
import ConformanceData

/// Real files: llama.cpp's tiny models and vocabularies, SmolLM2 and Gemma 3.
@Suite struct SharedFileTests {
    @Test func everyConformanceFileOpens() throws {
        let files = try TestFiles.conformanceModels()
        #expect(files.count == 34)
        for path in files {
            let file = try GGUFFile(path: path)
            #expect(file.architecture != nil, "\(path)")
            for t in file.tensors { #expect(file.data(of: t).count == t.byteCount) }
            #expect(try file.strings("tokenizer.ggml.tokens").count > 0)
        }
    }

    @Test func smolLM2Facts() throws {
        let file = try GGUFFile(path: try Conformance.smolLM2())
        #expect(file.architecture == "llama")
        #expect(try file.int("llama.block_count") == 30)
        #expect(try file.int("llama.embedding_length") == 576)
        #expect(try file.int("llama.attention.head_count") == 9)
        #expect(try file.int("llama.attention.head_count_kv") == 3)
        #expect(try file.strings("tokenizer.ggml.tokens").count == 49152)
        #expect(file.tensors.count == 272)
        #expect(Set(file.tensors.map(\.type)) == [.q4_1, .q8_0, .f32])
        #expect(file.fileTypeName == "Q4_1")
        let q = try file.requireTensor("blk.0.attn_q.weight")
        #expect(q.shape == [576, 576] && q.type == .q4_1 && q.byteCount == 576 * 576 / 32 * 20)
    }

    @Test func gemma3Opens() throws {
        let file = try GGUFFile(path: try Conformance.gemma3())
        #expect(file.architecture == "gemma3")
        #expect(try file.int("gemma3.block_count") == 18)
        #expect(try file.strings("tokenizer.ggml.tokens").count == 262_144)
    }

    /// Truncating any tiny model at every 97th byte gives an error whenever the cut falls in the
    /// header or in a tensor's data; only the padding after the last tensor may go.
    @Test(arguments: Conformance.tinyModels)
    func truncatedTinyModel(name: String) throws {
        let path = try Conformance.tinyModel(name)
        let file = try GGUFFile(path: path)
        let dataEnd = file.tensors.map { $0.fileOffset + $0.byteCount }.max() ?? file.dataOffset
        withExtendedLifetime(file) {
            for n in stride(from: 0, to: file.fileSize, by: 97) {
                let e = parseError(UnsafeRawBufferPointer(rebasing: file.bytes[0 ..< n]), name: path)
                if n < dataEnd {
                    #expect(e != nil, "\(path) truncated to \(n) bytes parsed")
                } else {
                    #expect(e == nil, "\(path) without its last \(file.fileSize - n) bytes of padding: \(e.map(String.init(describing:)) ?? "")")
                }
            }
        }
    }

    /// Flipping any byte of the fixed header (magic, version, counts) gives an error (or, for
    /// version 3 → 2, a file that still reads the same).
    @Test func flippedHeaderBytes() throws {
        var rng = SplitMix64(seed: 42)
        for path in try TestFiles.tinyModels() {
            let mapped = try MappedFile(path: path)
            var bytes = withExtendedLifetime(mapped) { Array(mapped.bytes) }
            for _ in 0 ..< 200 {
                let at = Int(rng.next() % 24)
                let mask = UInt8(truncatingIfNeeded: rng.next() % 255 + 1)
                bytes[at] ^= mask
                // Version 3 → 2 is the one flip that leaves a valid file: the layouts are the same.
                let stillValid = at == 4 && bytes[4] == 2
                #expect(stillValid || parseError(bytes, name: path) != nil, "\(path): byte \(at) ^ \(mask) parsed")
                bytes[at] ^= mask
            }
        }
    }
}

/// A small, seedable random generator (SplitMix64), so failures can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
