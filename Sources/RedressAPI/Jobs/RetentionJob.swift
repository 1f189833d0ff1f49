import Foundation
import Logging
import RedressCore
import RedressStore
import ServiceLifecycle

/// Deletes what has served its purpose: throttle rows past the longest throttle window, idempotency
/// keys older than `idempotencyRetention` (a client retries within minutes, not days), expired
/// sessions' client details, spent registration and reset links, mails sent and webhook deliveries ended a month ago, and the personal data of cases closed longer ago than `caseRetention`
/// (Docs/accounts.md: three years). Every replica may run it; each step is idempotent.
public struct RetentionJob: Service {
    let database: Database
    let throttle: LoginThrottle
    let idempotencyRetention: Duration
    let caseRetention: Duration
    let interval: Duration
    let logger: Logger

    public init(
        database: Database, throttle: LoginThrottle, idempotencyRetention: Duration = .seconds(24 * 3600),
        caseRetention: Duration = RetentionJob.defaultCaseRetention, interval: Duration = .seconds(600), logger: Logger
    ) {
        self.database = database
        self.throttle = throttle
        self.idempotencyRetention = idempotencyRetention
        self.caseRetention = caseRetention
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                // Each step on its own: one failing (a case it cannot anonymise) stops none of the others.
                do {
                    let (throttleRows, keys) = try await runOnce()
                    if throttleRows + keys > 0 {
                        logger.info("retention job deleted", metadata: ["throttle_rows": "\(throttleRows)", "idempotency_keys": "\(keys)"])
                    }
                } catch where !Task.isCancelled {
                    logger.error("retention job failed to purge throttles and keys", metadata: ["error": "\(String(reflecting: error))"])
                } catch {
                    return
                }
                do {
                    let cases = try await anonymiseDueCases()
                    if cases > 0 { logger.info("retention job anonymised closed cases", metadata: ["cases": "\(cases)"]) }
                } catch where !Task.isCancelled {
                    logger.error("retention job failed to anonymise cases", metadata: ["error": "\(String(reflecting: error))"])
                } catch {
                    return
                }
                do {
                    _ = try await database.transaction(as: DatabaseIdentity(role: "system"), origin: .commandLine) { try await $0.forgetSpentMailData() }
                } catch where !Task.isCancelled {
                    logger.error("retention job failed to delete spent mail data", metadata: ["error": "\(String(reflecting: error))"])
                } catch {
                    return
                }
                do {
                    _ = try await forgetSessionClients()
                } catch where !Task.isCancelled {
                    logger.error("retention job failed to clear sessions' client details", metadata: ["error": "\(String(reflecting: error))"])
                } catch {
                    return
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Three years and a day: the limitation period for a claim (Civil Code Art. 188) and the keeping
    /// of transaction records (E-Commerce Law Art. 31), counted from the case's close.
    public static let defaultCaseRetention: Duration = .seconds((3 * 365 + 1) * 86_400)

    /// How long a session's client details outlive the session.
    public static let sessionClientRetention: TimeInterval = 30 * 86_400

    /// Clears the client details of sessions that ended more than a month ago; how many.
    @discardableResult
    public func forgetSessionClients() async throws -> Int {
        let cutoff = database.clock.now().addingTimeInterval(-Self.sessionClientRetention)
        return try await database.transaction(as: DatabaseIdentity(role: "system"), origin: .commandLine) { transaction in
            try await transaction.forgetSessionClients(endedBefore: cutoff)
        }
    }

    /// Anonymises every case closed longer ago than the retention period, in batches; how many.
    @discardableResult
    public func anonymiseDueCases() async throws -> Int {
        let cutoff = database.clock.now().addingTimeInterval(-Double(caseRetention.components.seconds))
        var total = 0
        while !Task.isCancelled {
            let outcome = try await database.transaction(as: DatabaseIdentity(role: "system"), origin: .commandLine) { transaction in
                try await transaction.anonymiseClosedCases(closedBefore: cutoff, limit: 200)
            }
            total += outcome.complaints
            if outcome.complaints < 200 { break }
        }
        return total
    }

    /// One pass: how many throttle rows and idempotency keys were deleted.
    @discardableResult
    public func runOnce() async throws -> (throttleRows: Int, idempotencyKeys: Int) {
        try await database.transaction(as: DatabaseIdentity(role: "system"), origin: .commandLine) { transaction in
            (try await transaction.purgeThrottleRows(throttle),
             try await transaction.purgeIdempotencyKeys(olderThan: idempotencyRetention))
        }
    }
}
