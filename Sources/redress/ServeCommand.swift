import ArgumentParser
import Foundation
import Logging
import RedressAPI
import RedressCore
import RedressDemo
import RedressStore
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Migrate the database and serve the API until SIGTERM or SIGINT.")

    @Option(help: "Address to listen on (REDRESS_HOST).") var host: String?
    @Option(help: "Port to listen on (REDRESS_PORT).") var port: Int?
    @Flag(help: "Fill an empty database with the demo world first (as `redress demo load`).") var demo = false
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        var settings = try Settings.fromEnvironment()
        if let host { settings.host = host }
        if let port { settings.port = port }
        if !settings.mailTransportChosen { settings.mail.transport = .directory((database.dataDir as NSString).appendingPathComponent("mail")) }
        let logger = settings.logger()
        if let frozen = settings.frozenNow {
            logger.warning("the clock is frozen by REDRESS_NOW: deadlines and audit times use this instant, not the real time", metadata: ["now": "\(frozen)"])
        }
        if settings.secondFactorRoles.isEmpty {
            logger.warning("REDRESS_SECOND_FACTOR=off: administrators, auditors and leads act with a password alone (tests only)")
        }
        let keys = try settings.keyring(dataDir: database.dataDir, logger: logger)
        try await withOwnerDatabase(settings: settings, dataDir: database.dataDir, logger: logger, shareRunning: false) { ownerURL, handOverSignals in
            let secrets = try await Migrator(ownerURL: ownerURL, requestURL: settings.requestDatabaseURL, logger: logger).run()
            if demo {
                do {
                    let summary = try await DemoCommand.fill(.demo, conversations: true, ownerURL: ownerURL, secrets: secrets, keys: keys, settings: settings, logger: logger)
                    DemoCommand.printSummary(summary)
                    DemoCommand.printLogins()
                } catch let error as DemoError {
                    logger.notice("no demo data added", metadata: ["reason": "\(error)"])
                }
            }
            if let body = settings.defaultMediationBodyID {
                try await Self.requireMediationBody(body, secrets: secrets, keys: keys, logger: logger)
            }
            let standby = try readReplica(secrets, settings: settings, logger: logger)
            let database = Database(
                url: secrets.requestURL, poolSize: settings.poolSize, keys: keys, clock: settings.clock,
                metrics: .prometheus(), replica: standby?.replica, logger: logger)
            let dependencies = try await AppDependencies.make(database: database, configuration: settings.apiConfiguration)
            handOverSignals()
            // Returns after a graceful shutdown: in-flight requests drained, the server closed.
            let job = DeadlineJob(
                database: dependencies.database, configuration: dependencies.configuration,
                interval: .seconds(settings.deadlineJobSeconds), logger: logger)
            let monitor = try DatabaseMonitor(url: secrets.requestURL, availability: dependencies.database.availability, logger: logger)
            let retention = RetentionJob(
                database: dependencies.database, throttle: dependencies.configuration.loginThrottle,
                caseRetention: .seconds(settings.caseRetentionDays * 86_400), logger: logger)
            let announcements = try dependencies.sessionAnnouncements(url: secrets.requestURL, logger: logger)
            let deliveries = WebhookDeliveryJob(
                database: dependencies.database, settings: dependencies.configuration.webhooks, logger: logger)
            let mail = MailService(database: dependencies.database, settings: dependencies.configuration.mail, logger: logger)
            var services: [any Service] = [database.pool, job, retention, monitor, announcements, deliveries, mail] + (standby?.services ?? [])
            if settings.clusterJobSeconds > 0 {
                services.append(ClusterJob(database: dependencies.database, interval: .seconds(settings.clusterJobSeconds), logger: logger))
            }
            if settings.anchorSeconds > 0 {
                services.append(AnchorJob(database: dependencies.database, interval: .seconds(settings.anchorSeconds), logger: logger))
            }
            try await serve(dependencies, services: services, logger: logger)
        }
    }

    /// Refuses to start when `REDRESS_DEFAULT_MEDIATION_BODY_ID` names no mediation body: escalations
    /// would otherwise fail case by case, long after the mistake.
    static func requireMediationBody(_ id: UUID, secrets: DatabaseSecrets, keys: Keyring, logger: Logger) async throws {
        let check = Database(url: secrets.requestURL, poolSize: 1, keys: keys, logger: logger)
        let kind = try await check.withRunningPool { database in
            try await database.transaction(as: DatabaseIdentity(role: "system"), origin: .commandLine) { try await $0.organization(id: id)?.kind }
        }
        guard kind == .mediationBody else {
            throw CommandFailure(description: "REDRESS_DEFAULT_MEDIATION_BODY_ID \(id.uuidString.lowercased()) is not a mediation body's id")
        }
    }

    /// The standby of `REDRESS_REPLICA_URL`, reached as the request role (its credentials are the
    /// primary's: a physical standby is a copy of the whole cluster), and the services it needs.
    func readReplica(_ secrets: DatabaseSecrets, settings: Settings, logger: Logger) throws -> (replica: ReadReplica, services: [any Service])? {
        guard let address = settings.replicaURL else { return nil }
        let standbyURL = address.with(username: secrets.requestURL.username, password: secrets.requestURL.password)
        let replica = ReadReplica(url: standbyURL, poolSize: settings.poolSize, maximumLag: .seconds(settings.replicaMaximumLagSeconds), logger: logger)
        let monitor = try ReplicaMonitor(primary: secrets.requestURL, standby: standbyURL, replica: replica, logger: logger)
        logger.notice("statistics and reports may read from a standby", metadata: ["address": "\(address)", "max_lag_seconds": "\(settings.replicaMaximumLagSeconds)"])
        return (replica, [replica.pool, monitor])
    }
}
