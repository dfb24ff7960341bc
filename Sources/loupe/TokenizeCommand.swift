import ArgumentParser
import Foundation
import Loupe

/// `loupe tokenize`: text in, token ids out, exactly as llama.cpp tokenizes with the same file.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Split text into the model's tokens and show each one with its id.",
        discussion: """
            Reads TEXT, or standard input when TEXT is absent or '-'. Each line of the default \
            output is one token: its id, its kind when it is not ordinary text, and the piece of \
            text it stands for, with spaces shown as ␣, newlines as ⏎ and bytes that are only part \
            of a character as <0xNN>.
            """
    )

    @OptionGroup var options: ModelOptions

    @Flag(name: .customLong("no-bos"), help: "Do not add the beginning-of-sequence token, even if the model asks for it.")
    var noBOS = false

    @Flag(name: .customLong("special"), help: "Read special tokens such as <|im_start|> as one token each (otherwise they are plain text).")
    var special = false

    @Flag(help: "Print {\"ids\":[…],\"pieces\":[…]}.")
    var json = false

    @Flag(help: "Read one JSON string per input line, print one JSON array of ids per line.")
    var jsonl = false

    @Argument(help: "The text to tokenize ('-' or nothing: standard input).")
    var text: String?

    func validate() throws {
        if json && jsonl { throw ValidationError("--json and --jsonl cannot be used together") }
        if jsonl, let text, text != "-" { throw ValidationError("--jsonl reads standard input; do not give TEXT") }
    }

    func run() throws {
        try reportingErrors {
            let tokenizer = try Tokenizer(file: options.open())
            let addBOS: Bool? = noBOS ? false : nil
            if jsonl {
                try encodeLines(tokenizer, addBOS: addBOS)
                return
            }
            let input: [UInt8] = if let text, text != "-" { Array(text.utf8) } else { Array(FileHandle.standardInput.readDataToEndOfFile()) }
            let ids = tokenizer.encode(bytes: input, addBOS: addBOS, parseSpecial: special)
            if json {
                // Written by hand: JSONSerialization takes seconds for a million ids.
                let pieces = ids.map { jsonStringLiteral(tokenizer.piece($0)) }.joined(separator: ",")
                printFlushed("{\"ids\":\(Self.jsonArray(ids)),\"pieces\":[\(pieces)]}\n")
            } else {
                printTable(tokenizer, ids: ids, inputBytes: input.count)
            }
        }
    }

    /// `--jsonl`: each input line is a JSON string; each output line the JSON array of its ids.
    private func encodeLines(_ tokenizer: Tokenizer, addBOS: Bool?) throws {
        var lineNumber = 0
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            guard let text = try? JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed]) as? String else {
                throw CLIError("standard input line \(lineNumber): expected one JSON string, found \(line.prefix(40).debugDescription)")
            }
            print(Self.jsonArray(tokenizer.encode(text, addBOS: addBOS, parseSpecial: special)))
        }
    }

    static func jsonArray(_ ids: [Int]) -> String {
        "[" + ids.map(String.init).joined(separator: ",") + "]"
    }

    /// One token per line: id, kind (when not normal), visible piece.
    private func printTable(_ tokenizer: Tokenizer, ids: [Int], inputBytes: Int) {
        var out = ""
        for id in ids {
            let kind = tokenizer.tokenKind(id)
            let label = kind == .normal ? "" : "[\(kind.rawValue)]"
            out += "\(String(id).leftPadded(8)) \(label.padded(15)) \(Self.visible(tokenizer.pieceBytes(id)))\n"
        }
        out += "\(ids.count) tokens for \(inputBytes) bytes\n"
        printFlushed(out)
    }

    /// A piece as a student should see it: spaces, newlines and tabs as visible marks, and
    /// bytes that are not a whole UTF-8 character as <0xNN>.
    static func visible(_ bytes: [UInt8]) -> String {
        var out = ""
        var i = 0
        while i < bytes.count {
            let length = utf8SequenceLength(bytes, at: i)
            if length == 0 {
                out += "<0x" + String(bytes[i], radix: 16, uppercase: true).leftPadded(2, with: "0") + ">"
                i += 1
                continue
            }
            let character = String(decoding: bytes[i ..< i + length], as: UTF8.self)
            switch character {
            case " ": out += "␣"
            case "\n": out += "⏎"
            case "\t": out += "⇥"
            case "\r": out += "␍"
            default:
                if length == 1 && (bytes[i] < 0x20 || bytes[i] == 0x7F) {
                    out += "<0x" + String(bytes[i], radix: 16, uppercase: true).leftPadded(2, with: "0") + ">"
                } else {
                    out += character
                }
            }
            i += length
        }
        return out
    }

    /// Length of the well-formed UTF-8 character at `i`, or 0 when the bytes there are not one.
    private static func utf8SequenceLength(_ bytes: [UInt8], at i: Int) -> Int {
        let b0 = bytes[i]
        let length: Int
        switch b0 {
        case 0x00 ... 0x7F: return 1
        case 0xC2 ... 0xDF: length = 2
        case 0xE0 ... 0xEF: length = 3
        case 0xF0 ... 0xF4: length = 4
        default: return 0
        }
        guard i + length <= bytes.count else { return 0 }
        let slice = Array(bytes[i ..< i + length])
        return String(validating: slice, as: UTF8.self) != nil ? length : 0
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int, with pad: Character = " ") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }

    fileprivate func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
