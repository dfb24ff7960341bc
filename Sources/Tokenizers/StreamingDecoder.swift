/// Decodes tokens one at a time for printing as they are generated.
///
/// A token may end in the middle of a UTF-8 character (byte-fallback tokens `<0xE2>`, or a
/// BPE token holding half of an emoji). `append` returns only whole characters and keeps an
/// incomplete tail until the next token completes it; bytes that can never form a
/// character come out as U+FFFD. The concatenated output equals `tokenizer.decode(ids)`.
public struct StreamingDecoder: Sendable {
    public let tokenizer: Tokenizer
    private var pending: [UInt8] = []
    private var atStart = true
    private var dropLeadingSpace = false

    public init(tokenizer: Tokenizer) {
        self.tokenizer = tokenizer
    }

    /// The text that token `id` completes (possibly empty).
    public mutating func append(_ id: Int) -> String {
        if atStart {
            dropLeadingSpace = id == tokenizer.bos
            atStart = false
        }
        var bytes = tokenizer.pieceBytes(id, special: false)
        if dropLeadingSpace && pending.isEmpty && !bytes.isEmpty {
            if bytes.first == 0x20 { bytes.removeFirst() }
            dropLeadingSpace = false
        }
        pending += bytes
        let complete = Self.completePrefixLength(pending)
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Whatever is still held back (an incomplete character shows as U+FFFD).
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of `bytes` without a trailing UTF-8 sequence that is still incomplete.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        // Look back over at most 3 continuation bytes for the lead byte of the last sequence.
        var i = n - 1
        while i >= 0 && i >= n - 4 {
            let b = bytes[i]
            if b & 0xC0 != 0x80 {
                let needed: Int
                switch b {
                case 0xC2 ... 0xDF: needed = 2
                case 0xE0 ... 0xEF: needed = 3
                case 0xF0 ... 0xF4: needed = 4
                default: return n                 // ASCII or a byte that starts nothing
                }
                return n - i < needed ? i : n
            }
            i -= 1
        }
        return n
    }
}
