import ArgumentParser
import Foundation
import Logging
import RedressCore
import RedressStore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check and anchor the audit trail.", subcommands: [Verify.self, Anchor.self])

    /// Runs `body` in one transaction of the operator (`cli`) on the request pool.
    static func asOperator<T: Sendable>(dataDir: String, _ body: @escaping @Sendable (Transaction) async throws -> T) async throws -> T {
        try await withRequestPool(dataDir: dataDir) { store in
            try await store.transaction(as: .commandLine, origin: .commandLine, body)
        }
    }

    /// Runs `body` with the request pool (migrated, running).
    static func withRequestPool<T: Sendable>(dataDir: String, _ body: @escaping @Sendable (Database) async throws -> T) async throws -> T {
        let settings = try Settings.fromEnvironment()
        let logger = settings.logger()
        let keys = try settings.keyring(dataDir: dataDir, logger: logger)
        return try await withOwnerDatabase(settings: settings, dataDir: dataDir, logger: logger) { ownerURL, _ in
            let secrets = try await Migrator(ownerURL: ownerURL, requestURL: settings.requestDatabaseURL, logger: logger).run()
            let store = Database(url: secrets.requestURL, poolSize: settings.poolSize, keys: keys, clock: settings.clock, logger: logger)
            return try await store.withRunningPool(body)
        }
    }

    struct Anchor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record one digest over every chain's head, and print it for publication outside the database.")

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let anchor = try await AuditCommand.asOperator(dataDir: database.dataDir) { try await $0.anchorAuditChains() }
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            print("anchor \(anchor.id) \(formatter.string(from: anchor.createdAt)) chains=\(anchor.chains) events=\(anchor.events) root=\(anchor.root.hexString)")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every audit chain (or one complaint's); exit 1 naming the first broken link.")

        @Option(help: "Verify only this complaint's chain.") var complaint: String?
        @Option(help: "Transactions that read the store at once (default: one per core, 2 to 8).") var streams: Int?
        @Flag(help: "Recompute every hash in this process rather than in PostgreSQL (slower).") var inService = false
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            var chain: String? = nil
            let inService = inService
            if let complaint {
                guard let id = UUID(uuidString: complaint) else { throw ValidationError("--complaint must be a complaint id") }
                chain = AuditChain.complaint(id)
            }
            let started = ContinuousClock.now
            if let streams, !(1...16).contains(streams) { throw ValidationError("--streams must be 1 to 16") }
            // The whole store: one connection reads the snapshot the others share, so the pool must hold
            // one more than the streams.
            let poolSize = try Settings.fromEnvironment().poolSize
            if chain == nil && poolSize < 2 { throw ValidationError("verifying every chain needs REDRESS_DB_POOL_SIZE of at least 2") }
            let partitions = min(streams ?? max(2, min(ProcessInfo.processInfo.activeProcessorCount, 8)), max(1, poolSize - 1))
            let (result, anchors) = try await AuditCommand.withRequestPool(dataDir: database.dataDir) { [chain] store in
                if let chain {
                    let result = try await store.transaction(as: .commandLine, origin: .commandLine) { try await $0.verifyAuditChains(chain: chain) }
                    return (result, (anchors: 0, problem: String?.none))
                }
                // The whole store: a share of the chains per core, then the anchors (which cover every chain).
                let result = try await inService
                    ? store.recomputeAllAuditChainsInService(partitions: partitions)
                    : store.verifyAllAuditChains(partitions: partitions)
                let anchors = try await store.transaction(as: .commandLine, origin: .commandLine) { try await $0.verifyAnchors() }
                return (result, anchors)
            }
            print("checked \(result.events) events in \(result.chains) chains and \(anchors.anchors) anchors in \(ContinuousClock.now - started)")
            if let broken = result.firstBroken {
                print("BROKEN: \(broken)")
                throw ExitCode(1)
            }
            if let problem = anchors.problem {
                print("BROKEN: \(problem)")
                throw ExitCode(1)
            }
            print("every chain is intact and extends every anchor")
        }
    }
}
