/// How a token is written in a picture: whitespace made visible (a leading space is what
/// distinguishes "␣cat" from "cat" in a BPE vocabulary) and long tokens shortened.
public enum TokenLabel {
    /// `token` with spaces as `␣`, newlines as `⏎`, tabs as `⇥`, other control characters as
    /// `\u{…}`, cut to `limit` characters with an ellipsis.
    public static func display(_ token: String, limit: Int = 12) -> String {
        var out = ""
        for c in token.unicodeScalars {
            switch c {
            case " ": out += "␣"
            case "\n": out += "⏎"
            case "\t": out += "⇥"
            case "\r": out += "␍"
            case "\u{0}" ..< "\u{20}", "\u{7F}": out += "\\u{\(String(c.value, radix: 16))}"
            default: out.unicodeScalars.append(c)
            }
        }
        if out.isEmpty { return "∅" }
        guard out.count > limit, limit > 1 else { return out }
        return String(out.prefix(limit - 1)) + "…"
    }

    /// The width in pixels that `text` needs at `fontSize`, estimated (no font metrics in a
    /// string builder): 0.62 em per character covers Latin text in a sans-serif font.
    static func estimatedWidth(_ text: String, fontSize: Double) -> Double {
        Double(text.count) * fontSize * 0.62
    }
}
