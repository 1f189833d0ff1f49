import Foundation
import Logging
import RedressCore
import RedressStore
import ServiceLifecycle

/// Delivers the outbox's webhook deliveries. Runs in every replica: each claims due deliveries with
/// `FOR UPDATE SKIP LOCKED` for a lease, sends them outside any transaction (a slow receiver holds
/// no connection and no snapshot), then records each outcome. At least once: a replica that dies
/// after sending leaves the delivery due again when its lease ends, and the receiver drops the
/// duplicate by the event's id.
public struct WebhookDeliveryJob: Service {
    let database: Database
    let settings: WebhookSettings
    let logger: Logger
    let sender: WebhookSender
    static let system = DatabaseIdentity(role: "system")

    public init(database: Database, settings: WebhookSettings, logger: Logger) {
        self.database = database
        self.settings = settings
        self.logger = logger
        self.sender = WebhookSender(settings: settings)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                var claimedFull = false
                do {
                    claimedFull = try await runOnce() == settings.concurrency
                } catch where !Task.isCancelled {
                    logger.error("webhook delivery failed", metadata: ["error": "\(String(reflecting: error))"])
                } catch {
                    return
                }
                if !claimedFull { try? await Task.sleep(for: settings.pollInterval) }
            }
        }
    }

    /// Claims one batch of due deliveries, sends them at once, records the outcomes together; returns
    /// how many it claimed.
    @discardableResult
    public func runOnce() async throws -> Int {
        let claimed = try await database.transaction(as: Self.system, origin: .commandLine) { transaction in
            try await transaction.claimDueDeliveries(limit: settings.concurrency, lease: settings.lease)
        }
        guard !claimed.isEmpty else { return 0 }
        let attempts = try await withThrowingTaskGroup(of: Attempt.self) { group in
            for delivery in claimed {
                group.addTask { try await send(delivery) }
            }
            return try await group.reduce(into: [Attempt]()) { $0.append($1) }
        }
        // One transaction (one commit to wait for) for the whole batch: per delivery, the commits
        // cost the filings that share the machine more than the sending does. Should it fail, the
        // deliveries are sent again when their lease ends (at least once).
        try await database.transaction(as: Self.system, origin: .commandLine) { transaction in
            for attempt in attempts {
                try await transaction.recordDeliveryAttempt(attempt.delivery, outcome: attempt.outcome, retryAfter: attempt.retryAfter)
            }
        }
        for attempt in attempts { report(attempt) }
        return claimed.count
    }

    struct Attempt: Sendable {
        let delivery: ClaimedDelivery
        let outcome: DeliveryAttempt
        /// When to try again; `nil` when the delivery is dead (or delivered).
        let retryAfter: Duration?
    }

    private func send(_ delivery: ClaimedDelivery) async throws -> Attempt {
        let body = try APIJSON.encode(EventController.EventResponse(delivery.event, keys: database.keys))
        // Signed with the real time, not the service's clock: the receiver compares it with its own.
        let outcome = await sender.send(delivery, body: body, at: Date())
        let retryAfter: Duration? =
            delivery.attempt >= settings.retry.maximumAttempts ? nil : settings.retry.delay(afterAttempt: delivery.attempt, unit: Double.random(in: 0..<1))
        return Attempt(delivery: delivery, outcome: outcome, retryAfter: retryAfter)
    }

    private func report(_ attempt: Attempt) {
        let outcome = attempt.outcome, delivery = attempt.delivery
        let result = outcome.succeeded ? "delivered" : attempt.retryAfter == nil ? "dead" : "failed"
        database.metrics.webhookDelivered(result: result)
        if !outcome.succeeded {
            logger.notice(
                "webhook delivery failed",
                metadata: [
                    "delivery": "\(delivery.id)", "endpoint": "\(delivery.endpointID)", "attempt": "\(delivery.attempt)",
                    "error": "\(outcome.error ?? "")", "dead": "\(attempt.retryAfter == nil)",
                ])
        }
    }
}
