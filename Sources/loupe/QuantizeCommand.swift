import ArgumentParser
import Foundation
import Loupe

/// `loupe quantize IN OUT TYPE`: rewrites a model with its weight matrices in another format.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Re-quantize a GGUF model's weights to another type or to one of llama.cpp's mixes.",
        discussion: """
            A TYPE (like llama-quantize --pure): every weight matrix, token embedding and output \
            included, becomes TYPE, with ggml's reference quantizers (the bytes llama.cpp writes \
            without an importance matrix). Norms and other 1-D tensors are stored as F32. \
            Matrices whose rows are not whole blocks of TYPE fall back as in llama.cpp \
            (Q4_K→Q5_0, Q5_K→Q5_1, Q6_K→Q8_0, Q2_K/Q3_K→Q4_0; else F16).
            With --no-pure, the output matrix and the tied token embedding become Q6_K (Q8_0 \
            when their rows are not whole blocks), as llama-quantize does without --pure.
            A MIX (like llama-quantize without --pure): llama.cpp's K-quant presets, which give \
            the matrices quantization hurts most more bits (attn_v, ffn_down in some layers, \
            attn_output; output and tied token embedding Q6_K, or Q8_0 when their rows are not \
            whole blocks of 256). Q2_K_MIX is llama-quantize's Q2_K.
            TYPE: \(ModelQuantizer.targetTypes.map(\.name).joined(separator: ", ")).
            MIX: \(QuantizationMix.allCases.map(\.name).joined(separator: ", ")).
            """
    )

    @Argument(help: "Input GGUF model.")
    var input: String

    @Argument(help: "Output GGUF file (replaced if it exists).")
    var output: String

    @Argument(help: "Target type or mix, e.g. Q4_0, q8_0, Q4_K, F16, Q4_K_M.")
    var type: String

    @Flag(inversion: .prefixedNo,
          help: "With a TYPE: every matrix TYPE (--pure), or, as llama-quantize without --pure, output and tied token embedding Q6_K/Q8_0 (--no-pure).")
    var pure = true

    @Flag(name: .shortAndLong, help: "Do not list the tensors.")
    var quiet = false

    func validate() throws {
        guard QuantizationMix(name: type) != nil
                || GGMLType(name: type).map(ModelQuantizer.targetTypes.contains) == true else {
            throw ValidationError("unknown or unsupported type '\(type)'; choose one of "
                                  + ModelQuantizer.targetTypes.map(\.name).joined(separator: ", ")
                                  + " or a mix: " + QuantizationMix.allCases.map(\.name).joined(separator: ", "))
        }
        guard URL(fileURLWithPath: input).standardizedFileURL != URL(fileURLWithPath: output).standardizedFileURL else {
            throw ValidationError("output would overwrite the input file \(input)")
        }
    }

    func run() throws {
        try reportingErrors {
            let source = try GGUFFile(path: input)
            let start = Date()
            let report = { (tensor: ModelQuantizer.TensorReport) in
                guard !quiet else { return }
                let shape = tensor.shape.map(String.init).joined(separator: " × ")
                let change = tensor.from == tensor.to ? "\(tensor.to) (copied)" : "\(tensor.from) → \(tensor.to)"
                print("\(tensor.name.padding(toLength: 32, withPad: " ", startingAt: 0)) [\(shape)] \(change)")
            }
            let writer: GGUFWriter, targetName: String
            if let mix = QuantizationMix(name: type) {
                (writer, targetName) = (try ModelQuantizer.quantize(source, mix: mix, report: report), mix.name)
            } else {
                let target = GGMLType(name: type)!   // checked by validate()
                (writer, targetName) = (try ModelQuantizer.quantize(source, to: target, pure: pure, report: report), target.name)
            }
            try writer.write(to: output)
            let after = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
            print(String(format: "%@: %d tensors, %.1f MB → %.1f MB (%@) in %.1f s", output, writer.tensors.count,
                         Double(source.fileSize) / 1e6, Double(after) / 1e6, targetName,
                         Date().timeIntervalSince(start)))
        }
    }
}
