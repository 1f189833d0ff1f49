import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

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

    /// As ArgumentParser's own, except that the service runs Swift's tasks on NIO's event loops, the
    /// threads that do its HTTP and PostgreSQL I/O, rather than on a pool of their own: a request no
    /// longer changes threads at every wait for I/O. Taken over here, on the main thread, before any
    /// async call; a request's long CPU work goes to thread pools (`LongWork`; bcrypt on NIO's own).
    @MainActor static func main() async {
        do {
            var command = try parseAsRoot(nil)
            if command is ServeCommand, !NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() {
                FileHandle.standardError.write(Data("redress: Swift's tasks keep their own thread pool (NIO could not take it over)\n".utf8))
            }
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
