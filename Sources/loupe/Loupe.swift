import ArgumentParser

/// The `loupe` command: run, inspect and measure a GGUF language model.
@main
struct LoupeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loupe",
        abstract: "Run, inspect and measure a small GGUF language model on the CPU.",
        discussion: """
            Every command takes -m MODEL; without it Loupe uses $LOUPE_MODEL, or \
            Weights/SmolLM2-135M-Instruct.Q4_1.gguf (fetch it with Weights/setup.sh).
            """,
        subcommands: [
            InfoCommand.self,
            QuantizeCommand.self,
            TokenizeCommand.self,
            DetokenizeCommand.self,
            GenerateCommand.self,
            ChatCommand.self,
            LogitsCommand.self,
            InspectCommand.self,
            DumpCommand.self,
            ReportCommand.self,
            BenchCommand.self,
            ServeCommand.self,
            WebCommand.self,
        ]
    )
}
