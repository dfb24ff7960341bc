import ArgumentParser
import Foundation
import Loupe

/// `loupe detokenize`: token ids back to text.
struct DetokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detokenize",
        abstract: "Turn token ids back into text.",
        discussion: """
            Prints the text the ids stand for, as llama.cpp detokenizes them: control tokens \
            such as <|im_end|> are not printed, and one leading space is dropped after BOS.
            """
    )

    @OptionGroup var options: ModelOptions

    @Argument(help: "Token ids, separated by spaces or commas.")
    var ids: [String] = []

    func run() throws {
        try reportingErrors {
            let tokenizer = try Tokenizer(file: options.open())
            var parsed: [Int] = []
            for word in ids.flatMap({ $0.split(whereSeparator: { $0 == "," || $0 == " " }) }) {
                guard let id = Int(word) else { throw CLIError("'\(word)' is not a token id (expected a whole number)") }
                parsed.append(id)
            }
            try tokenizer.validate(parsed)
            var bytes = tokenizer.decodeBytes(parsed)
            bytes.append(0x0A)
            FileHandle.standardOutput.write(Data(bytes))
        }
    }
}
