#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A piece of input after special tokens are cut out: text still to tokenize, or one token.
enum Fragment: Equatable {
    case text(Range<Int>)
    case token(Int)
}

extension Vocabulary {
    /// Cuts every occurrence of a special token out of `bytes`, longest tokens first, as
    /// llama.cpp's `tokenizer_st_partition`. Control and unknown tokens are only matched when
    /// `parseSpecial` is set; user-defined tokens always are (as Hugging Face tokenizers do).
    func partition(_ bytes: UnsafeBufferPointer<UInt8>, parseSpecial: Bool) -> [Fragment] {
        guard !bytes.isEmpty else { return [] }
        var fragments: [Fragment] = [.text(0 ..< bytes.count)]
        for id in specialTokens {
            let attributes = self.attributes[id]
            if !parseSpecial && !attributes.isDisjoint(with: [.control, .unknown]) { continue }
            let needle = Array(text(id))
            var result: [Fragment] = []
            result.reserveCapacity(fragments.count)
            for fragment in fragments {
                guard case .text(let range) = fragment else {
                    result.append(fragment)
                    continue
                }
                var base = range.lowerBound
                let end = range.upperBound
                while let match = Self.find(needle, in: bytes, base ..< end) {
                    var leftEnd = match
                    if attributes.contains(.lstrip) {
                        while leftEnd > base && Self.isSpace(bytes[leftEnd - 1]) { leftEnd -= 1 }
                    }
                    if leftEnd > base { result.append(.text(base ..< leftEnd)) }
                    result.append(.token(id))
                    base = match + needle.count
                    if attributes.contains(.rstrip) {
                        while base < end && Self.isSpace(bytes[base]) { base += 1 }
                    }
                }
                if base < end { result.append(.text(base ..< end)) }
            }
            fragments = result
        }
        return fragments
    }

    /// C's `isspace` in the "C" locale.
    @inline(__always)
    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09 ... 0x0D).contains(b) }

    /// First occurrence of `needle` in `bytes[range]`.
    static func find(_ needle: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        guard !needle.isEmpty, range.count >= needle.count, let base = bytes.baseAddress else { return nil }
        // memchr for the first byte, then compare the rest.
        let first = Int32(needle[0]), last = range.upperBound - needle.count
        var i = range.lowerBound
        while i <= last {
            guard let hit = memchr(base + i, first, last - i + 1) else { return nil }
            let at = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
            if memcmp(base + at, needle, needle.count) == 0 { return at }
            i = at + 1
        }
        return nil
    }
}
