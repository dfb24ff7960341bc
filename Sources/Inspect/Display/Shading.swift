/// How the terminal shows a value in 0…1: shading characters everywhere, 256-colour
/// backgrounds when the terminal says it supports them.
public enum Shading: Sendable {
    /// ` ░▒▓█`: works in any UTF-8 terminal and in files.
    case characters
    /// xterm's 256-colour palette, white → dark blue, two spaces per cell.
    case colors256

    /// 256 colours when `TERM` mentions `256color` (or `COLORTERM` is set) and output is a terminal.
    public static func detect(isTerminal: Bool, environment: [String: String]) -> Shading {
        guard isTerminal else { return .characters }
        if environment["COLORTERM"] != nil || (environment["TERM"] ?? "").contains("256") { return .colors256 }
        return .characters
    }

    /// One cell (two columns wide) for `value` ∈ [0, 1].
    public func cell(_ value: Float) -> String {
        let v = value.isFinite ? min(max(value, 0), 1) : 0
        switch self {
        case .characters:
            let ramp: [Character] = [" ", "░", "▒", "▓", "█"]
            // 0 stays blank; anything visible gets at least the lightest shade.
            let level = v == 0 ? 0 : min(4, 1 + Int(v * 4))
            return String(repeating: ramp[level], count: 2)
        case .colors256:
            // Blues of the 6×6×6 cube, light (231 white) to dark (17).
            let ramp = [231, 195, 153, 117, 111, 75, 69, 33, 27, 21, 19, 17]
            let color = ramp[min(ramp.count - 1, Int(v * Float(ramp.count - 1) + 0.5))]
            return "\u{1B}[48;5;\(color)m  \u{1B}[0m"
        }
    }
}

/// `text` padded with spaces to `width` columns (left-aligned), or cut.
func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? String(text.prefix(width)) : text + String(repeating: " ", count: width - text.count)
}
