import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import RedressCore
import RedressStore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check the audit trail.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every audit chain (or one complaint's); exit 1 naming the first broken link.")

        @Option(help: "Verify only this complaint's chain.") var complaint: String?
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            var chain: String? = nil
            if let complaint {
                guard let id = UUID(uuidString: complaint) else { throw ValidationError("--complaint must be a complaint id") }
                chain = AuditChain.complaint(id)
            }
            let settings = try Settings.fromEnvironment()
            let logger = settings.logger()
            let result = try await withOwnerDatabase(settings: settings, dataDir: database.dataDir, logger: logger) { ownerURL, _ in
                let secrets = try await Migrator(ownerURL: ownerURL, requestURL: settings.requestDatabaseURL, logger: logger).run()
                let client = makeRequestClient(secrets, settings: settings, logger: logger)
                let store = Database(client: client, auditKeyHex: secrets.auditKeyHex, logger: logger)
                return try await withThrowingTaskGroup(of: AuditVerifier.Result?.self) { group in
                    group.addTask { await client.run(); return nil }
                    defer { group.cancelAll() }
                    let started = ContinuousClock.now
                    let result = try await store.transaction(as: .commandLine, origin: .commandLine) { try await $0.verifyAuditChains(chain: chain) }
                    print("checked \(result.events) events in \(result.chains) chains in \(ContinuousClock.now - started)")
                    return result
                }
            }
            if let broken = result.firstBroken {
                print("BROKEN: \(broken)")
                throw ExitCode(1)
            }
            print("every chain is intact")
        }
    }
}
