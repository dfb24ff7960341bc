import Foundation
import GGUF
import Testing
@testable import Tokenizers

/// Behaviour on tiny vocabularies made in code: merges, specials, BOS/EOS, byte fallback, errors.
struct TokenizerTests {
    typealias V = TinyVocabularies

    @Test func byteLevelBPEMergesByRank() throws {
        let t = try Tokenizer(file: V.bpe())
        #expect(t.model == "gpt2" && t.preTokenizer == .gpt2)
        // "hello" merges fully; " world" becomes Ġworld through Ġw, Ġwor, Ġworl.
        #expect(t.encode("hello world") == [V.bpeID("hello"), V.bpeID("Ġworld")])
        // "hellow" is one word: hello + w (no merge "hello w").
        #expect(t.encode("hellow") == [V.bpeID("hello"), V.bpeID("w")])
        // Unknown letters stay single bytes; é is two byte characters.
        #expect(t.encode("é") == [0xC3, 0xA9].map { V.bpeID(String(UnicodeScalar(GPT2ByteMapping.characterOfByte[$0])!)) })
        #expect(t.decode(t.encode("hello world, é!")) == "hello world, é!")
    }

    @Test func specialTokensOnlyWhenAsked() throws {
        let t = try Tokenizer(file: V.bpe())
        let start = V.bpeID("<|im_start|>"), end = V.bpeID("<|im_end|>")
        #expect(t.encode("<|im_start|>hello<|im_end|>", parseSpecial: true) == [start, V.bpeID("hello"), end])
        let plain = t.encode("<|im_start|>hello")
        #expect(!plain.contains(start) && plain.last == V.bpeID("hello"))
        // User-defined tokens are matched even without parseSpecial.
        #expect(t.encode("hello<tool>") == [V.bpeID("hello"), V.bpeID("<tool>")])
        // Control tokens print nothing in text, their name as a piece.
        #expect(t.decode([start, V.bpeID("hello"), end]) == "hello")
        #expect(t.piece(start) == "<|im_start|>")
        #expect(t.tokenKind(start) == .control && t.tokenKind(V.bpeID("<tool>")) == .userDefined)
        #expect(t.isEndOfGeneration(end) && t.isEndOfGeneration(V.bpeID("<|endoftext|>")) && !t.isEndOfGeneration(start))
        // Neither file names EOT: <|im_end|> comes first in llama.cpp's list of end-of-turn texts.
        #expect(t.eot == end)
    }

    @Test func bosAndEosAsTheFileSays() throws {
        let plain = try Tokenizer(file: V.bpe())
        let bos = V.bpeID("<|im_start|>"), eos = V.bpeID("<|im_end|>")
        #expect(plain.bos == bos && plain.eos == eos && !plain.addsBOS)
        #expect(plain.encode("hello") == [V.bpeID("hello")])
        #expect(plain.encode("hello", addBOS: true) == [bos, V.bpeID("hello")])
        let both = try Tokenizer(file: V.bpe(extra: [("tokenizer.ggml.add_bos_token", .bool(true)),
                                                     ("tokenizer.ggml.add_eos_token", .bool(true))]))
        #expect(both.encode("hello") == [bos, V.bpeID("hello"), eos])
        #expect(both.encode("hello", addBOS: false) == [V.bpeID("hello")])
        #expect(both.encode("") == [bos, eos])
        // The llama3 family adds BOS unless the file says otherwise.
        #expect(try Tokenizer(file: V.bpe(pre: "llama-bpe")).addsBOS)
    }

    @Test func sentencePieceScoresSpacesAndByteFallback() throws {
        let t = try Tokenizer(file: V.spm())
        #expect(t.model == "llama" && t.bos == 1 && t.eos == 2 && t.addsBOS)
        // A space prefix, ▁ for spaces, highest-score merges.
        #expect(t.encode("hello world") == [1, V.spmID("▁hello"), V.spmID("▁world")])
        #expect(t.encode("hello", addBOS: false) == [V.spmID("▁hello")])
        // Characters without a piece fall back to their UTF-8 bytes.
        #expect(t.encode("é", addBOS: false) == [V.spmID("▁"), V.spmID("<0xC3>"), V.spmID("<0xA9>")])
        // Invalid UTF-8 goes through byte fallback too. 0xFF announces a 4-byte character, so
        // (as in llama.cpp) it swallows the "h" after it and both become byte tokens.
        #expect(t.encode(bytes: [0x68, 0xFF, 0x68], addBOS: false)
                == [V.spmID("▁"), V.spmID("h"), V.spmID("<0xFF>"), V.spmID("<0x68>")])
        #expect(t.tokenKind(V.spmID("<0x41>")) == .byte && t.tokenKind(0) == .unknown)
        #expect(t.decode(t.encode("hello wörld")) == "hello wörld")
        #expect(t.piece(V.spmID("▁hello")) == " hello" && t.piece(V.spmID("<0x41>")) == "A")
        // No space prefix when the file says so.
        let noPrefix = try Tokenizer(file: V.spm(extra: [("tokenizer.ggml.add_space_prefix", .bool(false))]))
        #expect(noPrefix.encode("hello", addBOS: false) == [V.spmID("hello")])
    }

    @Test func streamingDecoderHoldsBackIncompleteCharacters() throws {
        let t = try Tokenizer(file: V.spm())
        let ids = t.encode("he🦙llo é")   // 🦙 and é are byte-fallback tokens
        var decoder = StreamingDecoder(tokenizer: t)
        var pieces: [String] = []
        for id in ids { pieces.append(decoder.append(id)) }
        pieces.append(decoder.flush())
        #expect(pieces.joined() == t.decode(ids))
        #expect(pieces.joined() == "he🦙llo é")
        #expect(!pieces.contains { $0.contains("\u{FFFD}") })
        // A lone lead byte is flushed as U+FFFD.
        var lone = StreamingDecoder(tokenizer: t)
        #expect(lone.append(V.spmID("<0xE2>")) == "")
        #expect(lone.flush() == "\u{FFFD}")
    }

    @Test func errorsNameWhatIsWrong() throws {
        func failure(_ body: () throws -> Tokenizer) -> TokenizerError? {
            do { _ = try body(); return nil } catch let e as TokenizerError { return e } catch { return nil }
        }
        let unknownPre = failure { try Tokenizer(file: V.bpe(pre: "mystery-pre")) }
        #expect(unknownPre?.kind == .unknownPreTokenizer("mystery-pre"))
        #expect(unknownPre?.description.contains("'mystery-pre'") == true)
        let unknownModel = failure { try Tokenizer(file: V.file([("tokenizer.ggml.model", .string("t5")),
                                                                  ("tokenizer.ggml.tokens", V.strings(["a"]))])) }
        #expect(unknownModel?.kind == .unknownModel("t5"))
        let noTokens = failure { try Tokenizer(file: V.file([("tokenizer.ggml.model", .string("llama"))])) }
        #expect(noTokens?.kind == .missingKey("tokenizer.ggml.tokens"))
        let noModel = failure { try Tokenizer(file: V.file([("tokenizer.ggml.tokens", V.strings(["a"]))])) }
        #expect(noModel?.kind == .missingKey("tokenizer.ggml.model"))
        let noMerges = failure { try Tokenizer(file: V.file([("tokenizer.ggml.model", .string("gpt2")),
                                                              ("tokenizer.ggml.tokens", V.strings(["a"]))])) }
        #expect(noMerges?.kind == .missingKey("tokenizer.ggml.merges"))
        let shortScores = failure { try Tokenizer(file: V.spm(extra: [("tokenizer.ggml.scores", V.floats([1]))])) }
        #expect(shortScores?.description.contains("tokenizer.ggml.scores") == true)

        let t = try Tokenizer(file: V.bpe())
        #expect(throws: TokenizerError(file: "", kind: .tokenOutOfRange(id: 99999, vocabularySize: t.vocabularySize))) {
            try t.validate([1, 99999])
        }
        #expect(t.decode([-1, 99999]) == "" && t.piece(-5) == "")
    }

    @Test func detokenizeAsLlamaCpp() throws {
        // GPT-2's pre-tokenizer asks for clean-up: " ," and " 's" lose their space.
        let gpt2 = try Tokenizer(file: V.bpe())
        let ids = gpt2.encode("hello , world 's !")
        #expect(gpt2.decode(ids) == "hello , world 's !")
        #expect(gpt2.detokenize(ids) == "hello, world's!")
        // SmolLM's does not.
        let smol = try Tokenizer(file: V.bpe(pre: "smollm"))
        #expect(smol.detokenize(smol.encode("hello , world 's !")) == "hello , world 's !")
        // SentencePiece: the prefix space goes from the first piece, but BOS is that piece when kept.
        let spm = try Tokenizer(file: V.spm())
        #expect(spm.detokenize(spm.encode("hello", addBOS: false)) == "hello")
        #expect(spm.detokenize(spm.encode("hello")) == " hello")
        #expect(spm.detokenize(spm.encode("hello"), removeSpecial: true) == " hello")
        #expect(spm.detokenize([1, V.spmID("▁hello")], unparseSpecial: true) == "<s> hello")
    }

    @Test func missingPreTokenizerMeansDefault() throws {
        let t = try Tokenizer(file: V.bpe(pre: nil))
        #expect(t.preTokenizer == .default)
        #expect(t.decode(t.encode("hello world 12345")) == "hello world 12345")
    }
}
