/// Byte-level BPE (`tokenizer.ggml.model = gpt2`), as llama.cpp's `llm_tokenizer_bpe_session`.
///
/// A word from the pre-tokenizer starts as one symbol per byte (each byte is one GPT-2
/// character in the vocabulary). Then, repeatedly, the adjacent pair with the lowest merge
/// rank (leftmost on ties) is joined, until no pair has a merge. Candidates wait in a
/// priority queue, so a word of n bytes costs O(n log n), not the O(n²) of rescanning.
///
/// Symbols are token ids rather than strings: every text a merge can produce gets an id up
/// front (a token id, or a "virtual" id past the vocabulary for the rare merge result that
/// is not itself a token), so merging compares integers.
struct ByteLevelBPE: Sendable {
    let vocabularySize: Int
    let preTokenizer: PreTokenizer
    /// A word that is already a token is taken whole (Llama 3).
    let ignoreMerges: Bool
    /// The symbol each byte starts as.
    private let byteSymbol: [Int32]
    private let merges: PairTable
    /// Texts of symbols that are not tokens, for ids `vocabularySize...`.
    private let virtualTexts: [[UInt8]]

    init(vocabulary: Vocabulary, merges mergeLines: [String]) {
        vocabularySize = vocabulary.count
        preTokenizer = vocabulary.preTokenizer.preTokenizer
        ignoreMerges = vocabulary.preTokenizer.ignoreMerges
        var virtualIDs: [[UInt8]: Int32] = [:]
        var virtualTexts: [[UInt8]] = []
        func symbol(_ text: UnsafeBufferPointer<UInt8>) -> Int32 {
            if let id = vocabulary.ids.find(text) { return id }
            let key = Array(text)
            if let id = virtualIDs[key] { return id }
            let id = Int32(vocabulary.count + virtualTexts.count)
            virtualIDs[key] = id
            virtualTexts.append(key)
            return id
        }
        byteSymbol = (0 ..< 256).map { GPT2ByteMapping.encodedCharacter(UInt8($0)).withUnsafeBufferPointer(symbol) }
        var table = PairTable(expectedCount: mergeLines.count)
        let space = UInt8(ascii: " ")
        var joined: [UInt8] = []
        for (rank, line) in mergeLines.enumerated() {
            var line = line
            line.withUTF8 { bytes in
                // "left right", split at the first space after the first byte (`word.find(' ', 1)`).
                guard bytes.count > 2, let cut = (1 ..< bytes.count).first(where: { bytes[$0] == space }),
                      cut + 1 < bytes.count else { return }
                let left = UnsafeBufferPointer(rebasing: bytes[..<cut])
                let right = UnsafeBufferPointer(rebasing: bytes[(cut + 1)...])
                joined.removeAll(keepingCapacity: true)
                joined.append(contentsOf: left)
                joined.append(contentsOf: right)
                let result = joined.withUnsafeBufferPointer(symbol)
                table.insertIfAbsent(left: symbol(left), right: symbol(right), rank: Int32(rank), result: result)
            }
        }
        merges = table
        self.virtualTexts = virtualTexts
    }

    /// One merge candidate: the pair (left, right) of the word, ordered by (rank, left) as
    /// llama.cpp's `llm_bigram_bpe::comparator`. 16 bytes, four to a cache line.
    struct Candidate: MergeCandidate {
        /// rank << 32 | left: one comparison orders by rank, then leftmost.
        var order: UInt64
        var right: Int32
        /// The right symbol when queued; if it has merged with its own neighbour since, the
        /// candidate is stale. (The left symbol cannot change while `right` is alive.)
        var rightSymbol: Int32
        var left: Int { Int(order & 0xFFFF_FFFF) }
        @inline(__always)
        func comesBefore(_ other: Candidate) -> Bool { order < other.order }
    }

    /// Buffers reused from word to word.
    struct Scratch {
        var word: [UInt8] = []
        var encoded: [UInt8] = []
        var symbols: [Int32] = []
        var lengths: [Int32] = []
        var previous: [Int32] = []
        var next: [Int32] = []
        var queue = MergeQueue<Candidate>()
    }

    /// Appends the tokens of `text` (one fragment between special tokens) to `out`.
    func encode(_ text: UnsafeBufferPointer<UInt8>, vocabulary: Vocabulary, into out: inout [Int]) {
        let codepoints = CodepointText(text)
        let pieces = preTokenizer.split(codepoints)
        var scratch = Scratch()
        var start = 0
        for piece in pieces {
            scratch.word.removeAll(keepingCapacity: true)
            for i in start ..< start + piece { LenientUTF8.append(codepoints.codepoints[i], to: &scratch.word) }
            start += piece
            encodeWord(&scratch, vocabulary: vocabulary, into: &out)
        }
    }

    /// Merges the bytes in `scratch.word` and appends the resulting tokens.
    private func encodeWord(_ s: inout Scratch, vocabulary: Vocabulary, into out: inout [Int]) {
        let n = s.word.count
        if n == 1, byteSymbol[Int(s.word[0])] < vocabularySize {
            out.append(Int(byteSymbol[Int(s.word[0])]))
            return
        }
        if ignoreMerges {
            s.encoded.removeAll(keepingCapacity: true)
            for b in s.word { LenientUTF8.append(GPT2ByteMapping.characterOfByte[Int(b)], to: &s.encoded) }
            if let id = vocabulary.ids.find(s.encoded) {
                out.append(Int(id))
                return
            }
        }
        s.symbols.removeAll(keepingCapacity: true)
        s.lengths.removeAll(keepingCapacity: true)
        s.previous.removeAll(keepingCapacity: true)
        s.next.removeAll(keepingCapacity: true)
        s.queue.removeAll()
        for (i, b) in s.word.enumerated() {
            s.symbols.append(byteSymbol[Int(b)])
            s.lengths.append(1)
            s.previous.append(Int32(i - 1))
            s.next.append(i + 1 < n ? Int32(i + 1) : -1)
        }
        for i in 1 ..< max(n, 1) { addCandidate(&s, left: Int32(i - 1), right: Int32(i)) }

        while let c = s.queue.pop() {
            let l = c.left, r = Int(c.right)
            // Stale: one side was merged into something else since this candidate was queued.
            guard s.lengths[l] > 0, s.lengths[r] > 0, s.symbols[r] == c.rightSymbol,
                  let merge = merges.find(left: s.symbols[l], right: c.rightSymbol) else { continue }
            s.symbols[l] = merge.result
            s.lengths[l] += s.lengths[r]
            s.lengths[r] = 0
            s.next[l] = s.next[r]
            if s.next[r] >= 0 { s.previous[Int(s.next[r])] = Int32(l) }
            addCandidate(&s, left: s.previous[l], right: Int32(l))
            addCandidate(&s, left: Int32(l), right: s.next[l])
        }

        for i in 0 ..< n where s.lengths[i] > 0 {
            let symbol = Int(s.symbols[i])
            if symbol < vocabularySize {
                out.append(symbol)
            } else {
                // Not a token: llama.cpp looks up each byte of its text as a one-byte token.
                for b in virtualTexts[symbol - vocabularySize] {
                    if let id = vocabulary.ids.find([b]) { out.append(Int(id)) }
                }
            }
        }
    }

    @inline(__always)
    private func addCandidate(_ s: inout Scratch, left: Int32, right: Int32) {
        guard left >= 0, right >= 0 else { return }
        let a = s.symbols[Int(left)], b = s.symbols[Int(right)]
        guard let merge = merges.find(left: a, right: b) else { return }
        s.queue.push(Candidate(order: UInt64(merge.rank) << 32 | UInt64(left), right: right, rightSymbol: b))
    }
}
