import ArgumentParser
import Foundation
import Logging
import RedressAPI
import RedressCore
import RedressStore

struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Manage administrator accounts.", subcommands: [Create.self, HashCost.self])

    /// Measures bcrypt on this machine, to choose REDRESS_BCRYPT_COST (each step doubles the time).
    struct HashCost: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hash-cost", abstract: "Print how long one password hash takes at each bcrypt cost.")

        @Option(help: "Hashes to time per cost.") var rounds = 5

        func run() async throws {
            for cost in 10...13 {
                let hasher = PasswordHasher(cost: UInt8(cost))
                let start = ContinuousClock.now
                for _ in 0..<max(rounds, 1) { _ = try await hasher.hash("measure-this-password") }
                let each = (ContinuousClock.now - start) / max(rounds, 1)
                print("bcrypt cost \(cost): \(each.formatted(.units(allowed: [.milliseconds], fractionalPart: .show(length: 1)))) per hash")
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an administrator account (the first one has to come from here).")

        @Option(help: "The administrator's e-mail address.") var email: String
        @Option(help: "The password (prefer --password-stdin: arguments are visible to other users).") var password: String?
        @Flag(help: "Read the password from the first line of standard input.") var passwordStdin = false
        @Option(help: "The name shown for the account.") var displayName = "Administrator"
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            guard (password == nil) != (!passwordStdin) else {
                throw ValidationError("Give exactly one of --password and --password-stdin.")
            }
            let secret = passwordStdin ? (readLine(strippingNewline: true) ?? "") : (password ?? "")
            var fields = FieldValidator()
            let normalizedEmail = fields.email(email)
            let checkedPassword = fields.password(secret, email: normalizedEmail)
            let name = fields.text(displayName, field: "display_name", maxLength: 100)
            do {
                try fields.check()
            } catch {
                throw ValidationError(error.invalidFields.map { "\($0.field): \($0.reason)" }.joined(separator: ", "))
            }
            let settings = try Settings.fromEnvironment()
            let logger = settings.logger()
            let hash = try await PasswordHasher(cost: UInt8(settings.bcryptCost)).hash(checkedPassword)
            let keys = try settings.keyring(dataDir: database.dataDir, logger: logger)
            try await withOwnerDatabase(settings: settings, dataDir: database.dataDir, logger: logger) { ownerURL, handOverSignals in
                let secrets = try await Migrator(ownerURL: ownerURL, requestURL: settings.requestDatabaseURL, logger: logger).run()
                let pool = Database(url: secrets.requestURL, poolSize: settings.poolSize, keys: keys, logger: logger)
                try await pool.withRunningPool { database in
                    let account = try await database.transaction(as: .commandLine, origin: .commandLine) { transaction in
                        try await transaction.insertAccount(
                            NewAccount(email: normalizedEmail, displayName: name, phone: nil, passwordHash: hash, role: .admin, organizationID: nil),
                            actor: .commandLine)
                    }
                    print("created administrator \(account.email) (\(account.id.uuidString.lowercased()))")
                }
            }
        }
    }
}
