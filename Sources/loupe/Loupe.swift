import ArgumentParser

/// The `loupe` command line. (Placeholder root on the `model` branch; the lead's root command
/// replaces this file and lists every subcommand.)
@main
struct LoupeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loupe",
        abstract: "A transformer inference engine you can read and look inside.",
        subcommands: [
            GenerateCommand.self,
            ChatCommand.self,
            LogitsCommand.self,
        ])
}
