import ArgumentParser
import Foundation
import Logging
import RedressStore

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply the schema's migrations and set up the request role, then exit.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let settings = try Settings.fromEnvironment()
        let logger = settings.logger()
        try await withOwnerDatabase(settings: settings, dataDir: database.dataDir, logger: logger) { ownerURL, handOverSignals in
            let secrets = try await Migrator(ownerURL: ownerURL, requestURL: settings.requestDatabaseURL, logger: logger).run()
            logger.notice("database is migrated", metadata: ["request_role": "\(secrets.requestURL.username)"])
        }
    }
}
