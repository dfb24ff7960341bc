#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads command lines: with editing and history when standard input is a terminal (raw mode
/// through termios: ← → Home End, ↑ ↓ history, Backspace, Ctrl-A/E/U/C/D), else plain lines,
/// so that piped scripts work.
public final class LineEditor {
    /// Lines entered so far, oldest first.
    public private(set) var history: [String] = []
    /// True when standard input and output are terminals (editing is on).
    public let isInteractive: Bool

    public init() {
        isInteractive = isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1
    }

    /// The next line, without its newline; nil at end of input (Ctrl-D on an empty line).
    public func readLine(prompt: String) -> String? {
        guard isInteractive else { return Swift.readLine(strippingNewline: true) }
        var saved = termios()
        guard tcgetattr(STDIN_FILENO, &saved) == 0 else {
            output(prompt)
            return Swift.readLine(strippingNewline: true)
        }
        var raw = saved
        // No echo, no line buffering, no signals from Ctrl-C: we handle the keys ourselves.
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | ISIG | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL)
        // TCSADRAIN, not TCSAFLUSH: keys typed while the previous command still ran are kept
        // (flushing them lost a quick "quit" in a test, and would lose a student's type-ahead).
        tcsetattr(STDIN_FILENO, TCSADRAIN, &raw)
        defer { tcsetattr(STDIN_FILENO, TCSADRAIN, &saved) }
        let line = edit(prompt: prompt)
        output("\r\n")
        if let line, !line.isEmpty, line != history.last { history.append(line) }
        return line
    }

    /// The editing loop, in raw mode.
    private func edit(prompt: String) -> String? {
        var buffer: [Character] = []
        var cursor = 0
        var recalled = history.count   // index into history being shown; count = the new line
        var draft: [Character] = []
        func redraw() {
            let tail = buffer.count - cursor
            output("\r" + prompt + String(buffer) + "\u{1B}[K" + (tail > 0 ? "\u{1B}[\(tail)D" : ""))
        }
        output(prompt)
        while let byte = readByte() {
            switch byte {
            case 13, 10: return String(buffer)
            case 4:   // Ctrl-D: end of input on an empty line, else delete forward
                if buffer.isEmpty { return nil }
                if cursor < buffer.count { buffer.remove(at: cursor) }
            case 3:   // Ctrl-C: abandon the line
                output("^C\r\n")
                buffer = []; cursor = 0
            case 1: cursor = 0
            case 5: cursor = buffer.count
            case 21: buffer.removeFirst(cursor); cursor = 0
            case 127, 8:
                if cursor > 0 { buffer.remove(at: cursor - 1); cursor -= 1 }
            case 27:
                guard readByte() == UInt8(ascii: "["), let key = readByte() else { continue }
                switch key {
                case UInt8(ascii: "A"), UInt8(ascii: "B"):
                    if recalled == history.count { draft = buffer }
                    recalled = key == UInt8(ascii: "A") ? max(0, recalled - 1) : min(history.count, recalled + 1)
                    buffer = recalled == history.count ? draft : Array(history[recalled])
                    cursor = buffer.count
                case UInt8(ascii: "C"): cursor = min(buffer.count, cursor + 1)
                case UInt8(ascii: "D"): cursor = max(0, cursor - 1)
                case UInt8(ascii: "H"): cursor = 0
                case UInt8(ascii: "F"): cursor = buffer.count
                case UInt8(ascii: "3"):
                    if readByte() == UInt8(ascii: "~"), cursor < buffer.count { buffer.remove(at: cursor) }
                default: break
                }
            default:
                guard byte >= 32 else { continue }
                let character = readCharacter(startingWith: byte)
                buffer.insert(character, at: cursor)
                cursor += 1
            }
            redraw()
        }
        return buffer.isEmpty ? nil : String(buffer)
    }

    /// A whole UTF-8 character whose first byte is `first`.
    private func readCharacter(startingWith first: UInt8) -> Character {
        var bytes = [first]
        let extra = first >= 0xF0 ? 3 : first >= 0xE0 ? 2 : first >= 0xC0 ? 1 : 0
        for _ in 0 ..< extra { if let b = readByte() { bytes.append(b) } }
        return String(decoding: bytes, as: UTF8.self).first ?? "?"
    }

    private func readByte() -> UInt8? {
        var byte: UInt8 = 0
        return read(STDIN_FILENO, &byte, 1) == 1 ? byte : nil
    }

    private func output(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(STDOUT_FILENO, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { return }
            offset += n
        }
    }
}
