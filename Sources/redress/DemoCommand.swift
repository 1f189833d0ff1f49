import ArgumentParser
import Foundation
import Synchronization
import Logging
import RedressAPI
import RedressCore
import RedressDemo
import RedressStore

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Fill an empty database with a realistic demo world.", subcommands: [Load.self, Generate.self])

    /// Every demo account's password (printed by `demo load`; the accounts are demo data).
    static let password = "redress-demo-2026"

    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A small world for a first look: platforms, merchants, a consumer association and an industry body with staff, consumers, and complaints in every state over twelve months, with messages and evidence.")

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let settings = try Settings.fromEnvironment()
            let logger = settings.logger()
            let keys = try settings.keyring(dataDir: database.dataDir, logger: logger)
            try await withOwnerDatabase(settings: settings, dataDir: database.dataDir, logger: logger) { ownerURL, _ in
                let secrets = try await Migrator(ownerURL: ownerURL, requestURL: settings.requestDatabaseURL, logger: logger).run()
                let summary = try await DemoCommand.fill(.demo, conversations: true, ownerURL: ownerURL, secrets: secrets, keys: keys, settings: settings, logger: logger)
                DemoCommand.printSummary(summary)
                DemoCommand.printLogins()
            }
        }
    }

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a volume of realistic complaints with their audit events, for performance work.")

        @Option(help: "Complaints to write.") var complaints = DemoSize.volume.complaints
        @Option(help: "Platforms.") var platforms = DemoSize.volume.platforms
        @Option(help: "Merchants, spread over the platforms.") var merchants = DemoSize.volume.merchants
        @Option(help: "Consumers.") var consumers = DemoSize.volume.consumers
        @Option(help: "Months the complaints are spread over, up to now.") var months = DemoSize.volume.months
        @Option(help: "Concurrent writers.") var workers = 3
        @Option(help: "Seed: the same seed writes the same world.") var seed: UInt64 = 20_261_125
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard complaints >= 1, platforms >= 1, consumers >= 1, merchants >= 0, (1...120).contains(months), (1...16).contains(workers) else {
                throw ValidationError("sizes must be positive, --months 1...120, --workers 1...16")
            }
        }

        func run() async throws {
            let settings = try Settings.fromEnvironment()
            let logger = settings.logger()
            let size = DemoSize(platforms: platforms, merchants: merchants, consumers: consumers, complaints: complaints, months: months)
            let keys = try settings.keyring(dataDir: database.dataDir, logger: logger)
            try await withOwnerDatabase(settings: settings, dataDir: database.dataDir, logger: logger) { ownerURL, _ in
                let secrets = try await Migrator(ownerURL: ownerURL, requestURL: settings.requestDatabaseURL, logger: logger).run()
                let summary = try await DemoCommand.fill(
                    size, conversations: false, workers: workers, seed: seed, ownerURL: ownerURL, secrets: secrets, keys: keys, settings: settings, logger: logger)
                DemoCommand.printSummary(summary)
            }
        }
    }

    /// Builds the world as the owner, which must be a superuser (see DemoGenerator).
    static func fill(
        _ size: DemoSize, conversations: Bool, workers: Int = 3, seed: UInt64 = 20_261_125, ownerURL: DatabaseURL, secrets: DatabaseSecrets,
        keys: Keyring, settings: Settings, logger: Logger
    ) async throws -> DemoSummary {
        let passwordHash = try await PasswordHasher(cost: UInt8(settings.bcryptCost)).hash(password)
        let owner = Database(url: ownerURL, poolSize: workers + 1, keys: keys, clock: settings.clock, logger: logger)
        return try await owner.withRunningPool { database in
            guard try await database.isSuperuser() else {
                throw CommandFailure(description:
                    "the demo writes as the database's owner, which must be a superuser (the private PostgreSQL of `redress serve` is): it files complaints in consumers' names and does the triggers' work in bulk")
            }
            var generator = DemoGenerator(
                database: database,
                timeZone: settings.timeZone, now: settings.clock.now(), passwordHash: passwordHash, logger: logger)
            generator.conversations = conversations
            generator.workers = workers
            generator.seed = seed
            let step = max(size.complaints / 20, 1_000)
            let reported = LastReported()
            return try await generator.run(size) { written, seconds in
                if reported.crossed(written, step: step) || written == size.complaints {
                    FileHandle.standardError.write(Data(String(format: "  %d complaints written (%.0f per second)\n", written, Double(written) / max(seconds, 0.001)).utf8))
                }
            }
        }
    }

    static func printSummary(_ summary: DemoSummary) {
        print(String(
            format: "demo: %d platforms, %d merchants, %d consumers, %d complaints with %d audit events in %.1f s (%.0f complaints per second); VACUUM (ANALYZE) %.1f s",
            summary.platforms, summary.merchants, summary.consumers, summary.complaints, summary.events, summary.complaintSeconds,
            summary.complaintsPerSecond, summary.vacuumSeconds))
    }

    static func printLogins() {
        print("""
            demo accounts (password \(password)):
              consumer1@demo.redress.test          a consumer with complaints
              p1-staff@demo.redress.test           staff of the first platform (p1-admin@… its administrator)
              p1-m1@demo.redress.test              staff of its first merchant
              body1-lead@demo.redress.test         lead of the consumer association (body1-mediator1@… a mediator)
              auditor@demo.redress.test            auditor
              admin@demo.redress.test              administrator
            public report: /reports · console: /console
            the administrator, the auditor, leads and platform administrators set up a second factor at
            their first sign-in to the console (any authenticator app; or `oathtool --totp -b KEY` with
            the key the page shows)
            """)
    }
}

/// Remembers the last progress step printed, across the writers' callbacks.
final class LastReported: Sendable {
    private let last = Mutex(0)

    func crossed(_ value: Int, step: Int) -> Bool {
        last.withLock { last in
            guard value / step > last / step else { return false }
            last = value
            return true
        }
    }
}
