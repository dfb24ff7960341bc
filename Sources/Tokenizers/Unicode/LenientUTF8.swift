/// UTF-8 as llama.cpp reads and writes it (`unicode_cpt_from_utf8`, `unicode_cpt_to_utf8`).
///
/// Deliberately lenient so that token ids match llama.cpp on bad input: overlong forms and
/// encoded surrogates decode to their code point, and every byte that does not start a
/// well-formed sequence decodes to U+FFFD and advances by one byte.
enum LenientUTF8 {
    static let replacement: UInt32 = 0xFFFD

    /// Bytes of the sequence a lead byte announces (continuation and invalid bytes say 1 and 4
    /// as llama.cpp's `unicode_len_utf8` does; callers clip to what is left).
    @inline(__always)
    static func sequenceLength(lead: UInt8) -> Int {
        switch lead >> 4 {
        case 0xC, 0xD: return 2
        case 0xE: return 3
        case 0xF: return 4
        default: return 1
        }
    }

    /// The code point at `i` and the number of bytes it took.
    @inline(__always)
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (codepoint: UInt32, length: Int) {
        let b0 = bytes[i]
        if b0 & 0x80 == 0 { return (UInt32(b0), 1) }
        if b0 & 0x40 == 0 { return (replacement, 1) }
        let n = bytes.count
        @inline(__always) func continuation(_ k: Int) -> UInt32? {
            let b = bytes[k]
            return b & 0xC0 == 0x80 ? UInt32(b & 0x3F) : nil
        }
        if b0 & 0x20 == 0 {
            guard i + 1 < n, let c1 = continuation(i + 1) else { return (replacement, 1) }
            return (UInt32(b0 & 0x1F) << 6 | c1, 2)
        }
        if b0 & 0x10 == 0 {
            guard i + 2 < n, let c1 = continuation(i + 1), let c2 = continuation(i + 2) else { return (replacement, 1) }
            return (UInt32(b0 & 0x0F) << 12 | c1 << 6 | c2, 3)
        }
        if b0 & 0x08 == 0 {
            guard i + 3 < n, let c1 = continuation(i + 1), let c2 = continuation(i + 2),
                  let c3 = continuation(i + 3) else { return (replacement, 1) }
            let cpt = UInt32(b0 & 0x07) << 18 | c1 << 12 | c2 << 6 | c3
            // llama.cpp would abort re-encoding a code point past U+10FFFF; we replace it.
            return (cpt > 0x10FFFF ? replacement : cpt, 4)
        }
        return (replacement, 1)
    }

    /// Appends the UTF-8 bytes of `cpt` (surrogates included, as llama.cpp writes them).
    @inline(__always)
    static func append(_ cpt: UInt32, to out: inout [UInt8]) {
        switch cpt {
        case 0 ..< 0x80:
            out.append(UInt8(cpt))
        case 0x80 ..< 0x800:
            out.append(UInt8(0xC0 | (cpt >> 6)))
            out.append(UInt8(0x80 | (cpt & 0x3F)))
        case 0x800 ..< 0x10000:
            out.append(UInt8(0xE0 | (cpt >> 12)))
            out.append(UInt8(0x80 | ((cpt >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (cpt & 0x3F)))
        default:
            out.append(UInt8(0xF0 | ((cpt >> 18) & 0x07)))
            out.append(UInt8(0x80 | ((cpt >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((cpt >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (cpt & 0x3F)))
        }
    }

    /// All code points of `bytes`.
    static func codepoints(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let (cpt, length) = decode(bytes, at: i)
            out.append(cpt)
            i += length
        }
        return out
    }
}
