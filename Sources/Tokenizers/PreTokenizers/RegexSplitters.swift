/// Hand-written versions of the regular expressions llama.cpp splits byte-level BPE text with.
///
/// Every function takes the current pieces (lengths in code points, covering the text) and
/// cuts each one further. `gpt2` and `llama3` are line-for-line ports of llama.cpp's
/// `unicode_regex_split_custom_gpt2/llama3`; the small matchers reproduce what std::regex
/// finds on llama.cpp's "collapsed" text, where every non-ASCII code point stands for its
/// category (so `\p{L}` is "has the letter flag" and `\s` is "is in the whitespace list").
enum RegexSplitters {
    typealias Codepoints = UnsafeBufferPointer<UInt32>
    typealias Flags = UnsafeBufferPointer<CodepointFlags>
    /// Returns the end of a match that starts exactly at `pos` (before `end`), or nil.
    typealias Matcher = @Sendable (_ cpts: Codepoints, _ flags: Flags, _ pos: Int, _ end: Int) -> Int?

    private static let outOfRange: UInt32 = 0xFFFF_FFFF
    private static let apostrophe = UInt32(UInt8(ascii: "'"))
    private static let space = UInt32(UInt8(ascii: " "))
    private static let cr: UInt32 = 0x0D, lf: UInt32 = 0x0A

    // MARK: - Custom splitters (llama.cpp unicode.cpp)

    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    static func gpt2(_ text: CodepointText, _ pieces: [Int]) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(pieces.count)
        text.codepoints.withUnsafeBufferPointer { cpts in
            text.flags.withUnsafeBufferPointer { flagsOf in
                var start = 0
                for piece in pieces {
                    let ini = start, end = start + piece
                    start = end
                    @inline(__always) func cpt(_ p: Int) -> UInt32 { p >= ini && p < end ? cpts[p] : outOfRange }
                    @inline(__always) func flags(_ p: Int) -> CodepointFlags { p >= ini && p < end ? flagsOf[p] : [] }
                    var pos = ini
                    @inline(__always) func emit(_ to: Int) {
                        if to > pos { out.append(to - pos) }
                        pos = to
                    }
                    while pos < end {
                        let c = cpt(pos), f = flags(pos)
                        // 's|'t|'re|'ve|'m|'ll|'d
                        if c == apostrophe && pos + 1 < end {
                            let next = cpt(pos + 1)
                            if next == 0x73 || next == 0x74 || next == 0x6D || next == 0x64 { emit(pos + 2); continue }
                            if pos + 2 < end {
                                let next2 = cpt(pos + 2)
                                if (next == 0x72 && next2 == 0x65) || (next == 0x76 && next2 == 0x65) || (next == 0x6C && next2 == 0x6C) {
                                    emit(pos + 3); continue
                                }
                            }
                        }
                        var f2 = c == space ? flags(pos + 1) : f
                        let skipSpace = c == space ? 1 : 0
                        // ' ?\p{L}+'
                        if f2.isLetter {
                            var p = pos + skipSpace
                            while f2.isLetter { p += 1; f2 = flags(p) }
                            emit(p); continue
                        }
                        // ' ?\p{N}+'
                        if f2.isNumber {
                            var p = pos + skipSpace
                            while f2.isNumber { p += 1; f2 = flags(p) }
                            emit(p); continue
                        }
                        // ' ?[^\s\p{L}\p{N}]+'
                        if isOther(f2) {
                            var p = pos + skipSpace
                            while isOther(f2) { p += 1; f2 = flags(p) }
                            emit(p); continue
                        }
                        var whitespaces = 0
                        while flags(pos + whitespaces).isWhitespace { whitespaces += 1 }
                        // '\s+(?!\S)'
                        if whitespaces > 1 && cpt(pos + whitespaces) != outOfRange { emit(pos + whitespaces - 1); continue }
                        // '\s+'
                        if whitespaces > 0 { emit(pos + whitespaces); continue }
                        emit(pos + 1)
                    }
                }
            }
        }
        return out
    }

    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    /// (Llama 3, `digitGroup` 3) and the same with `\p{N}` (Qwen 2, `digitGroup` 1).
    static func llama3(_ text: CodepointText, _ pieces: [Int], digitGroup: Int) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(pieces.count)
        text.codepoints.withUnsafeBufferPointer { cpts in
            text.flags.withUnsafeBufferPointer { flagsOf in
                var start = 0
                for piece in pieces {
                    let ini = start, end = start + piece
                    start = end
                    @inline(__always) func cpt(_ p: Int) -> UInt32 { p >= ini && p < end ? cpts[p] : outOfRange }
                    @inline(__always) func flags(_ p: Int) -> CodepointFlags { p >= ini && p < end ? flagsOf[p] : [] }
                    var pos = ini
                    @inline(__always) func emit(_ to: Int) {
                        if to > pos { out.append(to - pos) }
                        pos = to
                    }
                    while pos < end {
                        let c = cpt(pos), f = flags(pos)
                        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
                        if c == apostrophe && pos + 1 < end {
                            let next = asciiLower(cpt(pos + 1))
                            if next == 0x73 || next == 0x74 || next == 0x6D || next == 0x64 { emit(pos + 2); continue }
                            if pos + 2 < end {
                                let next2 = asciiLower(cpt(pos + 2))
                                if (next == 0x72 && next2 == 0x65) || (next == 0x76 && next2 == 0x65) || (next == 0x6C && next2 == 0x6C) {
                                    emit(pos + 3); continue
                                }
                            }
                        }
                        // [^\r\n\p{L}\p{N}]?\p{L}+
                        if !(c == cr || c == lf || f.isNumber) && (f.isLetter || flags(pos + 1).isLetter) {
                            var p = pos + 1
                            while flags(p).isLetter { p += 1 }
                            emit(p); continue
                        }
                        // \p{N}{1,digitGroup}, repeated
                        if f.isNumber {
                            var p = pos
                            while flags(p).isNumber {
                                p += 1
                                if p - pos >= digitGroup { emit(p) }
                            }
                            emit(p); continue
                        }
                        // ' ?[^\s\p{L}\p{N}]+[\r\n]*' (llama.cpp tests the first code point's own flags here)
                        var f2 = c == space ? flags(pos + 1) : f
                        if !(f2.isWhitespace || f2.isLetter || f2.isNumber) && f.rawValue != 0 {
                            var p = pos + (c == space ? 1 : 0)
                            while isOther(f2) { p += 1; f2 = flags(p) }
                            while cpt(p) == cr || cpt(p) == lf { p += 1 }
                            emit(p); continue
                        }
                        var whitespaces = 0, lastLineBreakEnd = 0
                        while flags(pos + whitespaces).isWhitespace {
                            let c2 = cpt(pos + whitespaces)
                            if c2 == cr || c2 == lf { lastLineBreakEnd = pos + whitespaces + 1 }
                            whitespaces += 1
                        }
                        // \s*[\r\n]+
                        if lastLineBreakEnd > 0 { emit(lastLineBreakEnd); continue }
                        // \s+(?!\S)
                        if whitespaces > 1 && cpt(pos + whitespaces) != outOfRange { emit(pos + whitespaces - 1); continue }
                        // \s+
                        if whitespaces > 0 { emit(pos + whitespaces); continue }
                        emit(pos + 1)
                    }
                }
            }
        }
        return out
    }

    /// `[^\s\p{L}\p{N}]` inside a piece (flags 0 means "past the piece").
    @inline(__always)
    private static func isOther(_ f: CodepointFlags) -> Bool {
        !(f.isWhitespace || f.isLetter || f.isNumber) && f.rawValue != 0
    }

    @inline(__always)
    private static func asciiLower(_ c: UInt32) -> UInt32 {
        (0x41 ... 0x5A).contains(c) ? c + 0x20 : c
    }

    // MARK: - std::regex equivalents

    /// Cuts every piece at each leftmost, non-overlapping match (matches and gaps both become pieces),
    /// as llama.cpp's `unicode_regex_split_stl` does with `std::regex_iterator`.
    @inline(__always)
    static func split(_ text: CodepointText, _ pieces: [Int], matching match: Matcher) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(pieces.count)
        text.codepoints.withUnsafeBufferPointer { cpts in
            text.flags.withUnsafeBufferPointer { flags in
                var start = 0
                for piece in pieces {
                    let end = start + piece
                    var pos = start, last = start
                    while pos < end {
                        if let matchEnd = match(cpts, flags, pos, end), matchEnd > pos {
                            if pos > last { out.append(pos - last) }
                            out.append(matchEnd - pos)
                            pos = matchEnd
                            last = matchEnd
                        } else {
                            pos += 1
                        }
                    }
                    if last < end { out.append(end - last) }
                    start = end
                }
            }
        }
        return out
    }

    /// `[\p{P}…]+` where … are the ASCII characters in `extra`.
    static func punctuationRun(extra: String) -> Matcher {
        var table = [Bool](repeating: false, count: 128)
        for byte in extra.utf8 { table[Int(byte)] = true }
        let isExtra = table
        return { cpts, flags, pos, end in
            var p = pos
            while p < end && ((flags[p].isPunctuation && !flags[p].isWhitespace) || (cpts[p] < 128 && isExtra[Int(cpts[p])])) {
                p += 1
            }
            return p
        }
    }

    /// `\p{N}`
    static let singleNumber: Matcher = { _, flags, pos, _ in flags[pos].isNumber ? pos + 1 : nil }

    /// `\p{N}+`
    static let numberRun: Matcher = { _, flags, pos, end in
        var p = pos
        while p < end && flags[p].isNumber { p += 1 }
        return p
    }

    /// `[0-9][0-9][0-9]`
    static let threeASCIIDigits: Matcher = { cpts, _, pos, end in
        guard pos + 3 <= end else { return nil }
        for p in pos ..< pos + 3 where !(0x30 ... 0x39).contains(cpts[p]) { return nil }
        return pos + 3
    }

    /// `[\r\n]`
    static let lineBreak: Matcher = { cpts, _, pos, _ in cpts[pos] == cr || cpts[pos] == lf ? pos + 1 : nil }

    /// `\s?\p{X}+` for the category `isCategory` tests.
    static func optionalSpaceThen(_ isCategory: @escaping @Sendable (CodepointFlags) -> Bool) -> Matcher {
        { _, flags, pos, end in
            var p = pos
            if flags[p].isWhitespace && p + 1 < end && isCategory(flags[p + 1]) { p += 1 }
            guard isCategory(flags[p]) else { return nil }
            while p < end && isCategory(flags[p]) { p += 1 }
            return p
        }
    }

    /// `[一-龥ࠀ-一가-퟿]+` (llama.cpp matches it on code points with non-ASCII whitespace hidden).
    static let cjkRun: Matcher = { cpts, flags, pos, end in
        var p = pos
        while p < end && !flags[p].isWhitespace
                && ((0x4E00 ... 0x9FA5).contains(cpts[p]) || (0x0800 ... 0x4E00).contains(cpts[p]) || (0xAC00 ... 0xD7FF).contains(cpts[p])) {
            p += 1
        }
        return p
    }
}
