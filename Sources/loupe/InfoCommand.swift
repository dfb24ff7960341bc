import ArgumentParser
import Foundation
import Loupe

/// `loupe info`: what is inside a GGUF file, for a student (like gguf-dump, but readable).
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a model's architecture, hyperparameters, tokenizer and tensors."
    )

    @OptionGroup var modelOptions: ModelOptions
    @Flag(help: "List every tensor: name, type, shape, bytes.") var tensors = false
    @Flag(help: "Print one JSON object (architecture, metadata, tensors).") var json = false

    func run() throws {
        try reportingErrors {
            let file = try modelOptions.open()
            if json {
                print(try jsonLine(jsonObject(file)))
            } else {
                print(summary(file), terminator: "")
                if tensors { print(tensorTable(file), terminator: "") }
            }
        }
    }

    func jsonObject(_ file: GGUFFile) -> [String: Any] {
        var metadata: [String: Any] = [:]
        for key in file.metadataKeys {
            guard let value = file.metadata[key], value.isScalar else { continue }
            metadata[key] = jsonScalar(value)
        }
        return [
            "architecture": file.architecture ?? NSNull(),
            "forward_pass": (try? ModelConfiguration(file: file))
                .map { $0.describedInWords(ropeFactors: file.tensor(named: "rope_freqs.weight") != nil) } ?? NSNull(),
            "file": file.path,
            "file_size": file.fileSize,
            "version": Int(file.version),
            "parameters": file.parameterCount,
            "metadata": metadata,
            "tensors": file.tensors.map { t in
                ["name": t.name, "type": t.type.name, "shape": t.shape, "bytes": t.byteCount] as [String: Any]
            },
        ]
    }

    func jsonScalar(_ value: GGUFValue) -> Any {
        switch value {
        case .string(let s): return s
        case .bool(let b): return b
        case .float32(let f): return f.isFinite ? Double(f) : String(f)
        case .float64(let d): return d.isFinite ? d : String(d)
        case .uint64(let u): return u <= UInt64(Int.max) ? Int(u) : String(u)
        default: return value.intValue ?? NSNull()
        }
    }

    func summary(_ file: GGUFFile) -> String {
        let arch = file.architecture ?? "?"
        var out = ""
        func line(_ label: String, _ value: String) {
            out += label.padding(toLength: max(24, label.count + 2), withPad: " ", startingAt: 0) + value + "\n"
        }
        line("file", "\(file.path) (GGUF v\(file.version), \(bytes(file.fileSize)))")
        line("architecture", arch)
        if let name = file.metadata["general.name"]?.stringValue { line("name", name) }
        if let ft = file.fileTypeName { line("file type", ft) }
        line("parameters", "\(grouped(file.parameterCount)) (\(millions(file.parameterCount)))")
        // What the one forward pass does differently for this family (or why it cannot run it).
        do {
            let c = try ModelConfiguration(file: file)
            line("forward pass", c.describedInWords(ropeFactors: file.tensor(named: "rope_freqs.weight") != nil))
        } catch {
            line("forward pass", "not runnable: \(error.message)")
        }

        out += "\nhyperparameters\n"
        let prefix = arch + "."
        for key in file.metadataKeys where key.hasPrefix(prefix) {
            guard let v = file.metadata[key], v.isScalar else { continue }
            line("  " + String(key.dropFirst(prefix.count)), v.description)
        }

        out += "\ntokenizer\n"
        let model = file.metadata["tokenizer.ggml.model"]?.stringValue ?? "none"
        let kind = ["gpt2": "byte-level BPE", "llama": "SentencePiece", "bert": "WordPiece"][model] ?? model
        line("  model", "\(model) (\(kind))")
        if let pre = file.metadata["tokenizer.ggml.pre"]?.stringValue { line("  pre-tokenizer", pre) }
        let tokens = (try? file.strings("tokenizer.ggml.tokens")) ?? []
        line("  vocabulary", "\(grouped(tokens.count)) tokens")
        if let merges = file.metadata["tokenizer.ggml.merges"]?.arrayValue { line("  merges", grouped(merges.count)) }
        for special in ["bos", "eos", "eot", "unknown", "padding", "sep", "mask"] {
            guard let id = file.metadata["tokenizer.ggml.\(special)_token_id"]?.intValue else { continue }
            let text = id >= 0 && id < tokens.count ? tokens[id].debugDescription : "(out of range)"
            line("  \(special)", "\(id) \(text)")
        }
        for flag in ["add_bos_token", "add_eos_token", "add_space_prefix"] {
            if let b = file.metadata["tokenizer.ggml.\(flag)"]?.boolValue { line("  \(flag)", String(b)) }
        }
        line("  chat template", file.metadata["tokenizer.chat_template"] == nil ? "absent" : "present")

        out += "\ntensors: \(file.tensors.count), \(bytes(file.tensorBytes))\n"
        for u in file.typeUsage {
            let note = u.type.isComputable ? "" : "  (Loupe cannot compute with this type)"
            out += "  " + u.type.name.padding(toLength: 8, withPad: " ", startingAt: 0)
                + "\(u.tensors) tensors".padding(toLength: 14, withPad: " ", startingAt: 0)
                + "\(millions(u.elements)) values".padding(toLength: 18, withPad: " ", startingAt: 0)
                + bytes(u.bytes) + note + "\n"
        }
        return out
    }

    func tensorTable(_ file: GGUFFile) -> String {
        let width = max(24, file.tensors.map(\.name.count).max() ?? 0) + 2
        var out = "\n" + "name".padding(toLength: width, withPad: " ", startingAt: 0) + "type    shape               bytes\n"
        for t in file.tensors {
            out += t.name.padding(toLength: width, withPad: " ", startingAt: 0)
                + t.type.name.padding(toLength: 8, withPad: " ", startingAt: 0)
                + t.shape.map(String.init).joined(separator: " × ").padding(toLength: 20, withPad: " ", startingAt: 0)
                + grouped(t.byteCount) + "\n"
        }
        return out
    }

    func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return out
    }

    func millions(_ n: Int) -> String {
        n >= 100_000 ? String(format: "%.1f M", Double(n) / 1e6) : String(format: "%.1f K", Double(n) / 1e3)
    }

    func bytes(_ n: Int) -> String {
        n >= 1 << 20 ? String(format: "%.1f MiB", Double(n) / 1048576) : String(format: "%.1f KiB", Double(n) / 1024)
    }
}
