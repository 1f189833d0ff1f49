import Foundation
import Logging
import RedressStore
import ServiceLifecycle

/// Deletes what has served its purpose: throttle rows past the longest throttle window, and
/// idempotency keys older than `idempotencyRetention` (a client retries within minutes, not days).
/// Every replica may run it; deleting is idempotent.
public struct RetentionJob: Service {
    let database: Database
    let throttle: LoginThrottle
    let idempotencyRetention: Duration
    let interval: Duration
    let logger: Logger

    public init(
        database: Database, throttle: LoginThrottle, idempotencyRetention: Duration = .seconds(24 * 3600), interval: Duration = .seconds(600),
        logger: Logger
    ) {
        self.database = database
        self.throttle = throttle
        self.idempotencyRetention = idempotencyRetention
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let (throttleRows, keys) = try await runOnce()
                    if throttleRows + keys > 0 {
                        logger.info("retention job deleted", metadata: ["throttle_rows": "\(throttleRows)", "idempotency_keys": "\(keys)"])
                    }
                } catch where !Task.isCancelled {
                    logger.error("retention job failed", metadata: ["error": "\(String(reflecting: error))"])
                } catch {
                    return
                }
                try? await Task.sleep(for: interval)
            }
        }
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
