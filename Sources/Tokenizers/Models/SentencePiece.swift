/// SentencePiece BPE (`tokenizer.ggml.model = llama`), as llama.cpp's `llm_tokenizer_spm_session`.
///
/// Spaces are written `▁` (U+2581) first. The text starts as one symbol per UTF-8 character;
/// then, repeatedly, the adjacent pair whose concatenation is the token with the highest
/// score (leftmost on ties) is joined. A final symbol that is not a token is spelled with
/// byte-fallback tokens `<0xNN>`, one per byte, which is how any text, even invalid UTF-8,
/// has a tokenization.
struct SentencePiece: Sendable {
    /// The `<0xNN>` token of each byte (or the one-byte token, as llama.cpp falls back to).
    private let byteTokens: [Int32]

    init(vocabulary: Vocabulary) {
        let hex = Array("0123456789ABCDEF".utf8)
        byteTokens = (0 ..< 256).map { byte in
            let name: [UInt8] = Array("<0x".utf8) + [hex[byte >> 4], hex[byte & 15], UInt8(ascii: ">")]
            return vocabulary.ids.find(name) ?? vocabulary.ids.find([UInt8(byte)])
                ?? vocabulary.unknown.map(Int32.init) ?? -1
        }
    }

    func hasByteToken(_ byte: UInt8) -> Bool { byteTokens[Int(byte)] >= 0 }

    struct Candidate: MergeCandidate {
        var score: Float, left: Int32, right: Int32, size: Int32
        @inline(__always)
        func comesBefore(_ other: Candidate) -> Bool {
            score != other.score ? score > other.score : left < other.left
        }
    }

    /// Appends the tokens of `text` (already space-escaped) to `out`.
    func encode(_ text: [UInt8], vocabulary: Vocabulary, into out: inout [Int]) {
        text.withUnsafeBufferPointer { bytes in
            var starts: [Int32] = [], lengths: [Int32] = [], previous: [Int32] = [], next: [Int32] = []
            var offset = 0
            while offset < bytes.count {
                let length = min(LenientUTF8.sequenceLength(lead: bytes[offset]), bytes.count - offset)
                previous.append(Int32(starts.count - 1))
                starts.append(Int32(offset))
                lengths.append(Int32(length))
                offset += length
                next.append(offset == bytes.count ? -1 : Int32(starts.count))
            }
            var queue = MergeQueue<Candidate>()
            func addCandidate(_ left: Int32, _ right: Int32) {
                guard left >= 0, right >= 0 else { return }
                let start = Int(starts[Int(left)]), size = Int(lengths[Int(left)] + lengths[Int(right)])
                guard let id = vocabulary.ids.find(UnsafeBufferPointer(rebasing: bytes[start ..< start + size])) else { return }
                queue.push(Candidate(score: vocabulary.scores[Int(id)], left: left, right: right, size: Int32(size)))
            }
            for i in 1 ..< max(starts.count, 1) { addCandidate(Int32(i - 1), Int32(i)) }

            while let c = queue.pop() {
                let l = Int(c.left), r = Int(c.right)
                guard lengths[l] > 0, lengths[r] > 0, lengths[l] + lengths[r] == c.size else { continue }
                lengths[l] += lengths[r]
                lengths[r] = 0
                next[l] = next[r]
                if next[r] >= 0 { previous[Int(next[r])] = c.left }
                addCandidate(previous[l], c.left)
                addCandidate(c.left, next[l])
            }

            for i in 0 ..< starts.count where lengths[i] > 0 {
                let start = Int(starts[i]), end = start + Int(lengths[i])
                if let id = vocabulary.ids.find(UnsafeBufferPointer(rebasing: bytes[start ..< end])) {
                    out.append(Int(id))
                } else {
                    for b in bytes[start ..< end] where byteTokens[Int(b)] >= 0 { out.append(Int(byteTokens[Int(b)])) }
                }
            }
        }
    }
}
