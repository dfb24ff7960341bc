/// GBNF for the integers between two bounds, digit by digit (JSON Schema `minimum`/`maximum`).
///
/// A range of same-length numbers splits at the first digit where its ends differ:
/// 123…456 is `1 (23…99) | [2-3] [0-9]{2} | 4 (00…56)`, recursively; ranges of different lengths
/// are cut at each power of ten. Without a bound, numbers have at most 16 digits, as in llama.cpp.
enum IntegerRange {
    static let maxDigits = 16

    static func gbnf(minimum: Int64?, maximum: Int64?) -> String {
        switch (minimum, maximum) {
        case (let lo?, let hi?):
            if hi < 0 { return #""-" ("# + nonNegative(-hi, -lo) + ")" }
            if lo < 0 { return #""-" ("# + nonNegative(1, -lo) + ") | " + nonNegative(0, hi) }
            return nonNegative(lo, hi)
        case (let lo?, nil):
            if lo < 0 { return #""-" ("# + nonNegative(1, -lo) + ") | " + atLeast(0) }
            return atLeast(lo)
        case (nil, let hi?):
            if hi < 0 { return #""-" ("# + atLeast(-hi) + ")" }
            return #""-" [1-9] [0-9]{0,"# + "\(maxDigits - 1)} | " + nonNegative(0, hi)
        case (nil, nil):
            return #""-"? ([0] | [1-9] [0-9]{0,"# + "\(maxDigits - 1)})"
        }
    }

    /// Numbers ≥ lo (lo ≥ 0) with at most `maxDigits` digits.
    static func atLeast(_ lo: Int64) -> String {
        let digits = String(lo).count
        var parts = [nonNegative(lo, Int64(String(repeating: "9", count: digits))!)]
        if digits < maxDigits { parts.append("[1-9] [0-9]{\(digits),\(maxDigits - 1)}") }
        return parts.joined(separator: " | ")
    }

    /// lo…hi, 0 ≤ lo ≤ hi, without leading zeros.
    static func nonNegative(_ lo: Int64, _ hi: Int64) -> String {
        var parts: [String] = []
        var start = lo
        while start <= hi {
            let digits = String(start).count
            let top = digits >= 18 ? hi : min(hi, Int64(String(repeating: "9", count: digits))!)
            parts.append(sameLength(Array(String(start).utf8), Array(String(top).utf8)))
            if top == hi { break }
            start = top + 1
        }
        return parts.joined(separator: " | ")
    }

    /// Same-length decimal strings a ≤ b.
    private static func sameLength(_ a: [UInt8], _ b: [UInt8]) -> String {
        if a.isEmpty { return "" }
        if a.count == 1 { return digitClass(a[0], b[0]) }
        if a[0] == b[0] {
            return "\"\(Character(Unicode.Scalar(a[0])))\" (" + sameLength(Array(a.dropFirst()), Array(b.dropFirst())) + ")"
        }
        let restA = Array(a.dropFirst()), restB = Array(b.dropFirst())
        let zeros = restA.allSatisfy { $0 == 0x30 }, nines = restB.allSatisfy { $0 == 0x39 }
        let n = a.count - 1
        var parts: [String] = []
        var firstFull = a[0], lastFull = b[0]
        if !zeros {
            parts.append(digitClass(a[0], a[0]) + " (" + sameLength(restA, Array(repeating: 0x39, count: n)) + ")")
            firstFull += 1
        }
        if !nines { lastFull -= 1 }
        if firstFull <= lastFull { parts.append(digitClass(firstFull, lastFull) + " [0-9]{\(n)}") }
        if !nines {
            parts.append(digitClass(b[0], b[0]) + " (" + sameLength(Array(repeating: 0x30, count: n), restB) + ")")
        }
        return parts.joined(separator: " | ")
    }

    private static func digitClass(_ a: UInt8, _ b: UInt8) -> String {
        a == b ? "[\(Character(Unicode.Scalar(a)))]" : "[\(Character(Unicode.Scalar(a)))-\(Character(Unicode.Scalar(b)))]"
    }
}
