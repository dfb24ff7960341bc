extension Tokenizer {
    /// The text of `ids` exactly as llama.cpp's `llama_detokenize` gives it.
    ///
    /// Differs from `decode` in two ways that come from llama.cpp: the SentencePiece space
    /// prefix is stripped from the first piece, and byte-level BPE vocabularies whose
    /// pre-tokenizer asks for it get Hugging Face's `clean_up_tokenization_spaces` (" ," → ",",
    /// " 's" → "'s", …).
    /// - Parameters:
    ///   - removeSpecial: drop a leading BOS and trailing EOS when the file adds them.
    ///   - unparseSpecial: print control tokens (`<|im_end|>`) as their text.
    public func detokenize(_ ids: [Int], removeSpecial: Bool = false, unparseSpecial: Bool = false) -> String {
        String(decoding: detokenizeBytes(ids, removeSpecial: removeSpecial, unparseSpecial: unparseSpecial), as: UTF8.self)
    }

    /// `detokenize` before UTF-8 decoding.
    public func detokenizeBytes(_ ids: [Int], removeSpecial: Bool = false, unparseSpecial: Bool = false) -> [UInt8] {
        var ids = ids[...]
        var removeSpace = vocabulary.addSpacePrefix
        if removeSpecial && vocabulary.addBOS, let first = ids.first, first == vocabulary.bos {
            removeSpace = false
            ids = ids.dropFirst()
        }
        if removeSpecial && vocabulary.addEOS, let last = ids.last, last == vocabulary.eos {
            ids = ids.dropLast()
        }
        var text: [UInt8] = []
        for id in ids {
            var piece = pieceBytes(id, special: unparseSpecial)[...]
            if removeSpace && piece.first == 0x20 { piece = piece.dropFirst() }
            removeSpace = false
            text += piece
        }
        if vocabulary.model == .byteLevelBPE && vocabulary.preTokenizer.cleanSpaces {
            Self.cleanUpTokenizationSpaces(&text)
        }
        return text
    }

    /// llama.cpp's three in-place passes, kept literal: each reads characters the previous
    /// steps of the same pass may already have overwritten.
    static func cleanUpTokenizationSpaces(_ text: inout [UInt8]) {
        let space = UInt8(ascii: " "), apostrophe = UInt8(ascii: "'")
        func byte(_ c: Character) -> UInt8 { c.asciiValue! }
        // 1: " ?", " !", " .", " ," lose the space.
        var total = text.isEmpty ? 0 : 1
        for i in 1 ..< max(text.count, 1) {
            let x = text[i]
            if text[i - 1] == space && (x == byte("?") || x == byte("!") || x == byte(".") || x == byte(",")) { total -= 1 }
            text[total] = x
            total += 1
        }
        text.removeSubrange(total...)
        // 2: " ' " becomes "'".
        total = text.isEmpty ? 0 : 1
        var i = 1
        while i < text.count {
            let x = text[i]
            if x == apostrophe && i + 1 < text.count && text[i - 1] == space && text[i + 1] == space {
                total -= 1
                i += 1
                text[i] = 0
            }
            text[total] = x
            total += 1
            i += 1
        }
        text.removeSubrange(total...)
        // 3: " 's", " 'm", " 're", " 've" lose the space.
        total = text.isEmpty ? 0 : 1
        for i in 1 ..< max(text.count, 1) {
            let x = text[i]
            if text[i - 1] == space && x == apostrophe && i + 1 < text.count {
                let x1 = text[i + 1]
                if x1 == byte("s") || x1 == byte("m") {
                    total -= 1
                } else if x1 != byte("t") && x1 != byte("d") && i + 2 < text.count {
                    let x2 = text[i + 2]
                    if (x1 == byte("r") && x2 == byte("e")) || (x1 == byte("v") && x2 == byte("e")) { total -= 1 }
                }
            }
            text[total] = x
            total += 1
        }
        text.removeSubrange(total...)
    }
}
