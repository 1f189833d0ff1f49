import ArgumentParser

@main
struct RedressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redress",
        abstract: "Redress: complaint mediation for virtual goods.",
        subcommands: [
            ServeCommand.self, MigrateCommand.self, AdminCommand.self, AuditCommand.self, DemoCommand.self, LifecycleDocCommand.self,
            BenchEncodingCommand.self, KeysCommand.self, ClustersCommand.self,
        ],
        defaultSubcommand: ServeCommand.self)
}
