/// The REPL's pictures, drawn with text: attention heatmaps, the logit-lens table, bar charts.
public enum TextPictures {
    /// One head's attention pattern as a heatmap: a row per query token, a column per key.
    /// pattern: [query][key]
    public static func heatmap(_ pattern: [[Float]], labels: [String], title: String, shading: Shading) -> String {
        let labelWidth = min(12, labels.map { TokenLabel.display($0).count }.max() ?? 1)
        var lines = [title]
        for (q, row) in pattern.enumerated() {
            let label = pad(TokenLabel.display(labels[q], limit: labelWidth), labelWidth)
            lines.append(label + " │" + row.map(shading.cell).joined() + "│ " + "max→ " + TokenLabel.display(labels[argmax(row)]))
        }
        // Key labels: the index of each key, two columns per cell.
        let axis = (0 ..< pattern.count).map { pad(String($0 % 100), 2) }.joined()
        lines.append(String(repeating: " ", count: labelWidth) + "  " + axis + "  (keys: positions)")
        return lines.joined(separator: "\n")
    }

    /// The logit lens: the top token read at every layer (rows) and position (columns).
    /// lens: [layer][position]; the last row is the model's own prediction.
    public static func lensTable(_ lens: [[TokenGuess]], prediction: [TokenGuess], labels: [String]) -> String {
        let width = 10
        var lines: [String] = []
        lines.append(pad("", 7) + labels.map { pad(TokenLabel.display($0, limit: width - 1), width) }.joined())
        for (layer, row) in lens.enumerated() {
            lines.append(pad("L\(layer)", 7) + row.map { pad(TokenLabel.display($0.piece, limit: width - 1), width) }.joined())
        }
        lines.append(pad("model", 7) + prediction.map { pad(TokenLabel.display($0.piece, limit: width - 1), width) }.joined())
        return lines.joined(separator: "\n")
    }

    /// Horizontal bars: `  0.412 ████████▌      " Paris"`.
    public static func bars(_ guesses: [TokenGuess], width: Int = 30) -> String {
        let blocks: [Character] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"]
        return guesses.map { g in
            let eighths = Int((g.probability * Float(width * 8)).rounded())
            var bar = String(repeating: "█", count: eighths / 8)
            if eighths % 8 > 0 { bar.append(blocks[eighths % 8 - 1]) }
            let p = format(g.probability)
            return pad(p, 9) + " " + pad(bar, width + 1) + " " + quoted(g.piece) + "  #\(g.id)"
        }.joined(separator: "\n")
    }

    /// Two blocks of lines next to each other, the left one padded to `width` characters.
    public static func sideBySide(_ left: String, _ right: String, width: Int) -> String {
        let l = left.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let r = right.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return (0 ..< max(l.count, r.count)).map { i in
            pad(i < l.count ? l[i] : "", width) + (i < r.count ? r[i] : "")
        }.joined(separator: "\n")
    }

    /// A token's text in quotes with control characters escaped.
    static func quoted(_ piece: String) -> String {
        "\"" + piece.replacingNewlines() + "\""
    }

    private static func argmax(_ row: [Float]) -> Int {
        row.indices.max { row[$0] < row[$1] } ?? 0
    }
}

extension String {
    /// `\n` and `\t` written as escapes, for one-line displays.
    func replacingNewlines() -> String {
        var out = ""
        for ch in self {
            switch ch {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.append(ch)
            }
        }
        return out
    }
}
