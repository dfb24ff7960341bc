import Foundation
import Testing
import ConformanceData
@testable import Tokenizers

/// Seeded mutation fuzzing and hostile inputs: no crash, no hang, and text that is valid
/// UTF-8 comes back unchanged from `decode(encode(text))`.
struct FuzzTests {
    typealias V = TinyVocabularies

    /// The tiny vocabularies, plus SmolLM2's.
    static func tokenizers() throws -> [(String, Tokenizer)] {
        var list: [(String, Tokenizer)] = [("tiny-bpe", try Tokenizer(file: V.bpe())),
                                           ("tiny-bpe-llama3", try Tokenizer(file: V.bpe(pre: "llama3"))),
                                           ("tiny-bpe-default", try Tokenizer(file: V.bpe(pre: "default"))),
                                           ("tiny-bpe-deepseek", try Tokenizer(file: V.bpe(pre: "deepseek-coder"))),
                                           ("tiny-bpe-falcon", try Tokenizer(file: V.bpe(pre: "falcon"))),
                                           ("tiny-bpe-qwen2", try Tokenizer(file: V.bpe(pre: "qwen2"))),
                                           ("tiny-spm", try Tokenizer(file: V.spm()))]
        list.append(("smollm2", try Tokenizer(path: try Conformance.smolLM2())))
        return list
    }

    /// Round trip as llama.cpp guarantees it (for text whose every byte has a token): BOS only
    /// where it hides the SentencePiece space prefix.
    static func roundTrip(_ t: Tokenizer, _ bytes: [UInt8]) -> [UInt8] {
        t.decodeBytes(t.encode(bytes: bytes, addBOS: t.vocabulary.addSpacePrefix, parseSpecial: false))
    }

    @Test func seededMutationLoop() throws {
        var rng = SplitMix64(seed: 0x5EED)
        let seeds: [[UInt8]] = ["hello world", "L'été à Genève !", "  x = [1, 2, 3]\n\tprint(x)\n\n", "日本語 🦙 Привет",
                                "<|im_start|>user\nhi<|im_end|>", "'s 'LL 123456789 ½ e\u{301}"].map { Array($0.utf8) }
        let fragments: [[UInt8]] = [[0xED, 0xA0, 0x80], [0xF0, 0x9F], [0xC3], [0xFF], [0x80], [0], [0xF4, 0x90, 0x80, 0x80],
                                    Array("<|im_start|>".utf8), Array("<tool>".utf8), Array("\u{00A0}\u{3000}".utf8), Array("\r\n".utf8)]
        for (name, t) in try Self.tokenizers() {
            var checked = 0
            for round in 0 ..< (name == "smollm2" ? 400 : 1500) {
                var bytes = seeds[round % seeds.count]
                for _ in 0 ..< Int.random(in: 1 ... 6, using: &rng) {
                    let at = bytes.isEmpty ? 0 : Int.random(in: 0 ... bytes.count, using: &rng)
                    switch Int.random(in: 0 ..< 6, using: &rng) {
                    case 0: bytes.insert(UInt8.random(in: 0 ... 255, using: &rng), at: at)
                    case 1: if at < bytes.count { bytes.remove(at: at) }
                    case 2: bytes.insert(contentsOf: fragments.randomElement(using: &rng)!, at: at)
                    case 3:
                        let scalar = Unicode.Scalar(UInt32.random(in: 0 ... 0x10FFFF, using: &rng)) ?? "x"
                        bytes.insert(contentsOf: Array(String(scalar).utf8), at: at)
                    case 4: if at < bytes.count { bytes[at] = UInt8.random(in: 0 ... 255, using: &rng) }
                    default: bytes += bytes.prefix(8)
                    }
                }
                let ids = t.encode(bytes: bytes, addBOS: nil, parseSpecial: Bool.random(using: &rng))
                #expect(ids.allSatisfy { (0 ..< t.vocabularySize).contains($0) }, "\(name): id out of range")
                if String(validating: bytes, as: UTF8.self) != nil, bytes.allSatisfy(t.hasByteToken) {
                    checked += 1
                    #expect(Self.roundTrip(t, bytes) == bytes, "\(name): round trip of \(bytes)")
                    // Token by token, the streaming decoder prints the same text.
                    var stream = StreamingDecoder(tokenizer: t)
                    let printed = ids.map { stream.append($0) }.joined() + stream.flush()
                    #expect(printed == t.decode(ids), "\(name): streaming \(bytes)")
                }
            }
            #expect(checked >= 50, "\(name): too few valid texts to check")
        }
    }

    @Test func hostileInputs() throws {
        for (name, t) in try Self.tokenizers() {
            #expect(t.encode("", addBOS: false) == [], "\(name)")
            #expect(t.decode([]) == "")
            for text in ["\0", "a\0b\0", "\u{FEFF}", "\u{10FFFF}", "\u{E000}", "\u{0301}\u{0301}", "\r\r\n\n\u{2028}"] {
                #expect(Self.roundTrip(t, Array(text.utf8)) == Array(text.utf8), "\(name): \(text.debugDescription)")
            }
            // Invalid UTF-8 and encoded surrogates: tokens, no crash.
            for bytes: [UInt8] in [[0xFF], [0xED, 0xA0, 0x80], [0xC3], [0xF0, 0x9F, 0x98], [0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80]] {
                #expect(!t.encode(bytes: bytes, addBOS: false).isEmpty, "\(name): \(bytes)")
            }
            // A long run of one character (10 MB runs in the benchmark; 50 KB keeps debug tests quick).
            for unit in ["a", " ", "é", "\n", "🦙"] {
                let text = String(repeating: unit, count: 50_000 / unit.utf8.count)
                #expect(Self.roundTrip(t, Array(text.utf8)) == Array(text.utf8), "\(name): run of \(unit.debugDescription)")
            }
        }
    }
}

/// SplitMix64 as a `RandomNumberGenerator`, so the fuzz loop is the same on every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
