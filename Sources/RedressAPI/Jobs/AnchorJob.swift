import Foundation
import Logging
import RedressCore
import RedressStore
import ServiceLifecycle

/// Anchors the audit trail every `interval` (`REDRESS_ANCHOR_SECONDS`), as `redress audit anchor`
/// does, and writes the anchor's root to the log — a copy outside the database, where a log
/// collector keeps it. Every replica runs the job; between them they make one anchor per interval
/// (`Transaction.anchorAuditChainsIfDue`).
public struct AnchorJob: Service {
    let database: Database
    let interval: Duration
    let logger: Logger

    public init(database: Database, interval: Duration, logger: Logger) {
        self.database = database
        self.interval = interval
        self.logger = logger
    }

    /// Returns (never throws) when the service shuts down.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await runOnce()
                } catch where !Task.isCancelled {
                    logger.error("anchoring the audit trail failed", metadata: ["error": "\(String(reflecting: error))"])
                } catch {
                    return
                }
                // Ticks more often than the interval, so that a replica that started late does not
                // postpone the next anchor by up to a whole interval.
                try? await Task.sleep(for: min(interval, .seconds(300)))
            }
        }
    }

    /// Makes the anchor if one is due; nil when another replica (or an operator) made one recently.
    @discardableResult
    public func runOnce() async throws -> AuditAnchor.Anchor? {
        let anchor = try await database.transaction(as: .commandLine, origin: .commandLine) {
            try await $0.anchorAuditChainsIfDue(interval: interval)
        }
        if let anchor {
            database.metrics.anchorCreated()
            logger.notice(
                "anchored the audit trail",
                metadata: [
                    "anchor": "\(anchor.id)", "root": "\(anchor.root.hexString)", "chains": "\(anchor.chains)", "events": "\(anchor.events)",
                ])
        }
        return anchor
    }
}
