import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `loupe inspect` driven as a student would: a script piped in, and a real pseudo-terminal.
/// Runs on the tiny model of the conformance data (2 blocks, 4 heads) so it is quick in any build.
@Suite struct InspectCommandTests {
    static var tiny: String { get throws { try Loupe.tiny } }

    /// The answer to each command of a piped script: the lines after `loupe> COMMAND`.
    private func answers(_ stdout: String) -> [String: String] {
        var result: [String: String] = [:]
        var command: String?
        for line in stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("loupe> ") {
                command = String(line.dropFirst(7))
                result[command!] = ""
            } else if let command {
                result[command, default: ""] += line + "\n"
            }
        }
        return result
    }

    @Test func everyCommandThroughAPipe() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("inspect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let attnSVG = dir.appendingPathComponent("attn.svg").path
        let lensSVG = dir.appendingPathComponent("lens.svg").path
        let npy = dir.appendingPathComponent("pattern.npy").path
        let script = [
            "help", "prompt The capital of France is", "tokens", "step 1", "next", "step 2", "show", "n",
            "show pattern 1", "show kq_soft_max-0", "attn 1 2", "attn 0", "run", "lens", "top 5",
            "temp 0.5", "topk 3", "topp 0.9", "minp 0.05", "repeat 1.3", "repeat 0", "sample", "step", "kernels",
            "block blk.0.attn_q.weight 1", "save attn 0 \(attnSVG)", "save lens \(lensSVG)",
            "save pattern 0 \(npy)", "show nothing 9", "bogus", "quit", "tokens",
        ].joined(separator: "\n") + "\n"
        let r = try Loupe.run(["inspect", "-m", Self.tiny, "--backend", "simd"], input: script)
        #expect(r.status == 0, "\(r.stderr)")
        let a = answers(r.stdout)

        #expect(a["help"]?.contains("attn L [H]") == true)
        #expect(a["help"]?.contains("block NAME I") == true)
        let tokensLine = try #require(a["prompt The capital of France is"])
        let count = try #require(Int(tokensLine.prefix { $0.isNumber }))
        #expect(tokensLine.contains("tokens:") && count > 1)
        #expect(a["tokens"]?.split(separator: "\n").count == count)
        // 1 embedding + 2 blocks × 20 points + 3 final points = 44 steps
        #expect(a["step 1"]?.hasPrefix("[1/44] hook_embed  [\(count), 256]  (llama.cpp: inp_embd)") == true)
        #expect(a["step 1"]?.contains("Embedding") == true)
        #expect(a["next"]?.contains("[2/44] blocks.0.hook_resid_pre") == true)
        #expect(a["n"]?.contains("[22/44] blocks.1.hook_resid_pre") == true)
        #expect(a["step 2"]?.contains("blocks.0.ln1.hook_scale") == true)
        #expect(a["step 2"]?.contains("blocks.0.ln1.hook_normalized") == true)
        #expect(a["show"]?.contains("blocks.0.ln1.hook_normalized  [\(count), 256]  min") == true)
        #expect(a["show"]?.contains("std") == true)
        #expect(a["show pattern 1"]?.hasPrefix("blocks.1.attn.hook_pattern  [4, \(count), \(count)]  min 0  max 1") == true)
        #expect(a["show kq_soft_max-0"]?.hasPrefix("blocks.0.attn.hook_pattern") == true)
        let heatmap = try #require(a["attn 1 2"])
        #expect(heatmap.contains("layer 1 head 2"))
        #expect(heatmap.split(separator: "\n").filter { $0.contains("│") }.count == count)
        #expect(heatmap.contains { "░▒▓█".contains($0) })
        #expect(a["attn 0"]?.components(separatedBy: "layer 0 head").count == 5)
        #expect(a["run"]?.contains("[44/44] unembed.hook_out") == true)
        #expect(a["run"]?.contains("next token:") == true)

        // The last layer's lens row is the model's own prediction.
        let lensRows = try #require(a["lens"]).split(separator: "\n").map(String.init)
        let l1 = try #require(lensRows.first { $0.hasPrefix("L1 ") })
        let model = try #require(lensRows.first { $0.hasPrefix("model ") })
        #expect(l1.dropFirst(7) == model.dropFirst(7))
        #expect(lensRows.contains { $0.hasPrefix("L0 ") })

        let top = try #require(a["top 5"])
        for stage in ["softmax(logits): 396 candidates", "top-k 40: 40 candidates", "top-p 0.95", "temperature 0.8"] {
            #expect(top.contains("── " + stage), "\(stage)")
        }
        #expect(top.contains("█"))
        #expect(a["temp 0.5"]?.contains("temperature 0.5") == true)
        #expect(a["topk 3"]?.contains("top-k 3: 3 candidates") == true)
        #expect(a["topp 0.9"]?.contains("top-p 0.9") == true)
        // min-p and the repetition penalty, where `generate`'s chain has them.
        let minP = try #require(a["minp 0.05"])
        #expect(minP.contains("── min-p 0.05: "))
        #expect(minP.range(of: "── top-p 0.9")!.lowerBound < minP.range(of: "── min-p 0.05")!.lowerBound)
        #expect(minP.range(of: "── min-p 0.05")!.lowerBound < minP.range(of: "── temperature 0.5")!.lowerBound)
        let penalty = try #require(a["repeat 1.3"])
        #expect(penalty.contains("── repeat-penalty 1.3 (last 64): 396 candidates"))
        #expect(penalty.range(of: "── repeat-penalty")!.lowerBound < penalty.range(of: "── top-k 3")!.lowerBound)
        #expect(a["repeat 0"]?.contains("error: repeat R") == true)
        #expect(a["sample"]?.contains("sampled #") == true)
        #expect(a["sample"]?.contains("text: The capital of France is") == true)
        #expect(a["step"]?.contains("the forward pass is done") == true)
        let kernels = try #require(a["kernels"])
        #expect(kernels.contains("matrix-matrix product"))
        #expect(kernels.contains("naive") && kernels.contains("simd") && kernels.contains("blas"))
        #expect(kernels.contains("max |Δ| vs naive"))
        let block = try #require(a["block blk.0.attn_q.weight 1"])
        #expect(block.contains("Q4_1, 32 weights in 20 bytes"))
        for field in ["  d ", "  m ", "  qs "] { #expect(block.contains(field), "\(field)") }
        #expect(block.contains("re-quantized:"))
        #expect(try String(contentsOfFile: attnSVG, encoding: .utf8).contains("<svg"))
        #expect(try String(contentsOfFile: lensSVG, encoding: .utf8).contains("<svg"))
        let npyBytes = try Data(contentsOf: URL(fileURLWithPath: npy))
        #expect(npyBytes.prefix(6) == Data([0x93] + Array("NUMPY".utf8)))
        #expect(a["show nothing 9"]?.hasPrefix("error: unknown hook point 'nothing 9'") == true)
        #expect(a["bogus"]?.hasPrefix("error: unknown command 'bogus'") == true)
        // Nothing runs after quit.
        #expect(r.stdout.components(separatedBy: "loupe> tokens").count == 2)
        #expect(r.stdout.hasSuffix("loupe> quit\n"))
    }

    @Test func smolLM2KnowsTheCapitalOfFrance() throws {
        let script = "prompt The capital of France is\nrun\nshow pattern 3\nshow Kcur-3\nquit\n"
        let r = try Loupe.run(["inspect", "-m", Loupe.smolLM2], input: script)
        #expect(r.status == 0, "\(r.stderr)")
        let a = answers(r.stdout)
        // 30 blocks × 20 points + 4 = 604 steps; SmolLM2 has 9 query heads and 3 key/value heads of 64.
        #expect(a["run"]?.contains("[604/604] unembed.hook_out  [5, 49152]") == true)
        #expect(a["run"]?.contains("next token: \" Paris\"") == true)
        #expect(a["show pattern 3"]?.hasPrefix("blocks.3.attn.hook_pattern  [9, 5, 5]  min 0  max 1") == true)
        #expect(a["show Kcur-3"]?.hasPrefix("blocks.3.attn.hook_rot_k  [5, 3, 64]") == true)
    }

    @Test func answersInAPseudoTerminal() throws {
        var master: Int32 = 0, slave: Int32 = 0
        #expect(openpty(&master, &slave, nil, nil, nil) == 0)
        defer { close(master) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Loupe.executable)
        process.arguments = ["inspect", "-m", try Self.tiny, "--backend", "simd", "--no-color"]
        let terminal = FileHandle(fileDescriptor: slave, closeOnDealloc: true)
        process.standardInput = terminal
        process.standardOutput = terminal
        process.standardError = terminal
        try process.run()
        try terminal.close()
        defer { if process.isRunning { process.terminate() } }
        _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)

        var screen = ""
        /// Reads what the program writes until `text` appears or 60 s pass.
        func waitFor(_ text: String) -> Bool {
            let deadline = Date().addingTimeInterval(60)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while Date() < deadline {
                let n = read(master, &buffer, buffer.count)
                if n > 0 { screen += String(decoding: buffer[0 ..< n], as: UTF8.self) }
                if screen.contains(text) { return true }
                if n <= 0 { usleep(20_000) }
            }
            return false
        }
        func type(_ keys: String) { _ = keys.utf8CString.withUnsafeBufferPointer { write(master, $0.baseAddress!, $0.count - 1) } }

        #expect(waitFor("loupe> "), "no prompt: \(screen)")
        // Line editing: type "prompx", erase the x with Backspace, finish the word.
        type("prompx\u{7F}t Hello world\r")
        #expect(waitFor("recorded 44 steps"), "\(screen)")
        // History: ↑ recalls the prompt command; Ctrl-U clears it; then a real command.
        type("\u{1B}[A\u{15}step\r")
        #expect(waitFor("[1/44] hook_embed"), "\(screen)")
        type("quit\r")
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        try #require(!process.isRunning)   // (terminationStatus of a running process traps)
        #expect(process.terminationStatus == 0)
    }
}
