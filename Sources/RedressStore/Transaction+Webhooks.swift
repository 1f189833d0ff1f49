import Foundation
import PostgresNIO
import RedressCore

/// A webhook endpoint as its organisation's administrator sees it (never its secret).
public struct WebhookEndpointRecord: Sendable, Equatable {
    public let id: UUID
    public let organizationID: UUID
    public var url: String
    public var eventTypes: [String]
    public var description: String?
    public let createdAt: Date
    public var disabledAt: Date?
    /// While a rotation runs: when the previous secret stops signing.
    public var previousSecretExpiresAt: Date?

    public init(
        id: UUID = UUID(), organizationID: UUID, url: String, eventTypes: [String], description: String?, createdAt: Date,
        disabledAt: Date? = nil, previousSecretExpiresAt: Date? = nil
    ) {
        self.id = id
        self.organizationID = organizationID
        self.url = url
        self.eventTypes = eventTypes
        self.description = description
        self.createdAt = createdAt
        self.disabledAt = disabledAt
        self.previousSecretExpiresAt = previousSecretExpiresAt
    }
}

/// What an administrator may change on an endpoint; `nil`: unchanged.
public struct WebhookEndpointChange: Sendable {
    public var url: String?
    public var eventTypes: [String]?
    public var description: String??
    public var disabled: Bool?

    public init(url: String? = nil, eventTypes: [String]? = nil, description: String?? = nil, disabled: Bool? = nil) {
        self.url = url
        self.eventTypes = eventTypes
        self.description = description
        self.disabled = disabled
    }
}

public enum WebhookDeliveryState: String, Sendable, CaseIterable {
    case pending, delivered, dead
}

/// One event's delivery to one endpoint: the delivery log's row.
public struct WebhookDeliveryRecord: Sendable, Equatable {
    public let id: UUID
    public let endpointID: UUID
    public let eventID: UUID
    public let eventType: String
    public let complaintID: UUID
    public let state: WebhookDeliveryState
    public let attempts: Int
    public let nextAttemptAt: Date
    public let lastAttemptAt: Date?
    public let lastStatus: Int?
    public let lastLatencyMilliseconds: Int?
    public let lastError: String?
    public let deliveredAt: Date?
    public let createdAt: Date
}

/// A delivery a worker has claimed, with what it needs to send it.
public struct ClaimedDelivery: Sendable {
    public let id: UUID
    public let endpointID: UUID
    public let url: String
    /// This attempt's number, from 1.
    public let attempt: Int
    /// The secrets to sign with: the current one, then the previous one while a rotation runs.
    public let secrets: [[UInt8]]
    public let event: OutboxEvent
}

/// How an attempt ended.
public struct DeliveryAttempt: Sendable {
    public let status: Int?
    public let latencyMilliseconds: Int
    /// Why it failed, in words for the log (no response body: it is the receiver's).
    public let error: String?
    public var succeeded: Bool { error == nil && status.map { (200..<300).contains($0) } == true }

    public init(status: Int?, latencyMilliseconds: Int, error: String?) {
        self.status = status
        self.latencyMilliseconds = latencyMilliseconds
        self.error = error.map { String($0.prefix(500)) }
    }
}

extension Transaction {
    /// Active endpoints one organisation may have (each costs a request per event), and endpoints
    /// in all, disabled ones included.
    public static let maximumWebhookEndpoints = 10
    public static let maximumWebhookEndpointsEver = 50

    private static let endpointColumns = "id, organization_id, url, event_types, description, created_at, disabled_at, previous_secret_expires_at"
    private typealias EndpointRow = (UUID, UUID, String, [String], String?, Date, Date?, Date?)

    private func endpoints(_ rows: PostgresRowSequence) async throws -> [WebhookEndpointRecord] {
        var found: [WebhookEndpointRecord] = []
        for try await (id, org, url, types, description, created, disabled, expires) in rows.decode(EndpointRow.self) {
            found.append(
                WebhookEndpointRecord(
                    id: id, organizationID: org, url: url, eventTypes: types, description: description, createdAt: created, disabledAt: disabled,
                    previousSecretExpiresAt: expires.flatMap { $0 > now ? $0 : nil }))
        }
        return found
    }

    /// Registers an endpoint with its (clear) signing secret, sealed before it is stored.
    public func insertWebhookEndpoint(_ endpoint: WebhookEndpointRecord, secret: [UInt8], actor: AuditActor) async throws {
        // One organisation's registrations one at a time, so that the count below holds.
        try await query("SELECT pg_advisory_xact_lock(hashtext('webhooks:' || \(endpoint.organizationID.uuidString)))")
        let rows = try await query(
            "SELECT count(*) FROM webhook_endpoints WHERE organization_id = \(endpoint.organizationID) AND disabled_at IS NULL")
        for try await count in rows.decode(Int.self) where count >= Self.maximumWebhookEndpoints {
            throw RedressError(.conflict, detail: "An organisation may have \(Self.maximumWebhookEndpoints) active webhook endpoints.")
        }
        let all = try await query("SELECT count(*) FROM webhook_endpoints WHERE organization_id = \(endpoint.organizationID)")
        for try await count in all.decode(Int.self) where count >= Self.maximumWebhookEndpointsEver {
            throw RedressError(.conflict, detail: "An organisation may register \(Self.maximumWebhookEndpointsEver) webhook endpoints in all: change a disabled one.")
        }
        let sealed = try keys.seal(secret)
        try await query(
            """
            INSERT INTO webhook_endpoints (id, organization_id, url, event_types, description, secret, created_at)
            VALUES (\(endpoint.id), \(endpoint.organizationID), \(endpoint.url), \(endpoint.eventTypes), \(endpoint.description), \(sealed), \(endpoint.createdAt))
            """)
        try await record(
            AuditEntry(
                chain: AuditChain.administration, action: "webhook.create", entityType: "webhook_endpoint", entityID: endpoint.id, actor: actor,
                changes: [
                    // An address may carry the receiver's own token: only its digest is kept.
                    "url": .init(after: .personal(endpoint.url)),
                    "event_types": .init(after: .string(endpoint.eventTypes.joined(separator: ","))),
                    "organization_id": .init(after: Self.auditID(endpoint.organizationID)),
                ]))
    }

    /// The endpoints of `organizationID` the caller may see (row-level security: its administrator).
    public func webhookEndpoints(organizationID: UUID, page: PageRequest) async throws -> Page<WebhookEndpointRecord> {
        let after = page.after ?? .beginning
        let rows = try await query(
            """
            SELECT \(unescaped: Self.endpointColumns) FROM webhook_endpoints
            WHERE organization_id = \(organizationID)
              AND (created_at, id) > ('epoch'::timestamptz + \(after.microseconds) * interval '1 microsecond', \(after.id))
            ORDER BY created_at, id LIMIT \(page.limit + 1)
            """)
        return Page(fetched: try await endpoints(rows), limit: page.limit) { PageCursor(createdAt: $0.createdAt, id: $0.id) }
    }

    public func webhookEndpoint(id: UUID) async throws -> WebhookEndpointRecord? {
        try await endpoints(query("SELECT \(unescaped: Self.endpointColumns) FROM webhook_endpoints WHERE id = \(id)")).first
    }

    /// Applies `change`; disabling ends the endpoint's pending deliveries as dead (they can be asked
    /// for again once it is enabled).
    public func updateWebhookEndpoint(id: UUID, change: WebhookEndpointChange, actor: AuditActor) async throws -> WebhookEndpointRecord? {
        guard let before = try await webhookEndpoint(id: id) else { return nil }
        var after = before
        var changes: [String: AuditFieldChange] = [:]
        if let url = change.url, url != before.url {
            after.url = url
            changes["url"] = .init(before: .personal(before.url), after: .personal(url))
        }
        if let types = change.eventTypes, types != before.eventTypes {
            after.eventTypes = types
            changes["event_types"] = .init(before: .string(before.eventTypes.joined(separator: ",")), after: .string(types.joined(separator: ",")))
        }
        if let description = change.description, description != before.description {
            after.description = description
            changes["description"] = .init(before: before.description.map(AuditValue.personal) ?? .null, after: description.map(AuditValue.personal) ?? .null)
        }
        if let disabled = change.disabled, disabled != (before.disabledAt != nil) {
            if !disabled {
                try await query("SELECT pg_advisory_xact_lock(hashtext('webhooks:' || \(before.organizationID.uuidString)))")
                let rows = try await query(
                    "SELECT count(*) FROM webhook_endpoints WHERE organization_id = \(before.organizationID) AND disabled_at IS NULL")
                for try await count in rows.decode(Int.self) where count >= Self.maximumWebhookEndpoints {
                    throw RedressError(.conflict, detail: "An organisation may have \(Self.maximumWebhookEndpoints) active webhook endpoints.")
                }
            }
            after.disabledAt = disabled ? now : nil
            changes["disabled"] = .init(before: .bool(!disabled), after: .bool(disabled))
        }
        guard !changes.isEmpty else { return before }
        try await query(
            """
            UPDATE webhook_endpoints SET url = \(after.url), event_types = \(after.eventTypes), description = \(after.description),
                disabled_at = \(after.disabledAt)
            WHERE id = \(id)
            """)
        if change.disabled == true {
            try await query(
                """
                UPDATE webhook_deliveries SET state = 'dead', last_error = 'endpoint disabled'
                WHERE endpoint_id = \(id) AND state = 'pending'
                """)
        }
        try await record(
            AuditEntry(
                chain: AuditChain.administration, action: "webhook.update", entityType: "webhook_endpoint", entityID: id, actor: actor,
                changes: changes))
        return after
    }

    /// Replaces the signing secret; the previous one keeps signing (as a second signature) until
    /// `previousValidUntil`.
    public func rotateWebhookSecret(id: UUID, secret: [UInt8], previousValidUntil: Date, actor: AuditActor) async throws -> WebhookEndpointRecord? {
        let sealed = try keys.seal(secret)
        let rows = try await query(
            """
            UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = \(previousValidUntil), secret = \(sealed)
            WHERE id = \(id)
            RETURNING \(unescaped: Self.endpointColumns)
            """)
        guard let endpoint = try await endpoints(rows).first else { return nil }
        try await record(
            AuditEntry(
                chain: AuditChain.administration, action: "webhook.rotate_secret", entityType: "webhook_endpoint", entityID: id, actor: actor,
                changes: ["previous_secret_expires_at": .init(after: .string(ISO8601DateFormatter().string(from: previousValidUntil)))]))
        return endpoint
    }

    private static let deliveryColumns = """
        d.id, d.endpoint_id, d.event_id, d.event_type, d.complaint_id, d.state, d.attempts, d.next_attempt_at, d.last_attempt_at,
        d.last_status, d.last_latency_ms, d.last_error, d.delivered_at, d.created_at
        """

    /// An endpoint's delivery log, newest first, optionally of one state.
    public func webhookDeliveries(endpointID: UUID, state: WebhookDeliveryState?, page: PageRequest) async throws -> Page<WebhookDeliveryRecord> {
        // Newest first: the first page starts before the year 10000.
        let before = page.after ?? PageCursor(microseconds: 253_402_300_800_000_000, id: UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255)))
        let rows = try await query(
            """
            SELECT \(unescaped: Self.deliveryColumns)
            FROM webhook_deliveries d
            WHERE d.endpoint_id = \(endpointID) AND (\(state?.rawValue)::text IS NULL OR d.state = \(state?.rawValue))
              AND (d.created_at, d.id) < ('epoch'::timestamptz + \(before.microseconds) * interval '1 microsecond', \(before.id))
            ORDER BY d.created_at DESC, d.id DESC LIMIT \(page.limit + 1)
            """)
        var found: [WebhookDeliveryRecord] = []
        for try await row in rows.decode(
            (UUID, UUID, UUID, String, UUID, String, Int, Date, Date?, Int?, Int?, String?, Date?, Date).self)
        {
            found.append(
                WebhookDeliveryRecord(
                    id: row.0, endpointID: row.1, eventID: row.2, eventType: row.3, complaintID: row.4,
                    state: WebhookDeliveryState(rawValue: row.5) ?? .pending, attempts: row.6, nextAttemptAt: row.7, lastAttemptAt: row.8,
                    lastStatus: row.9, lastLatencyMilliseconds: row.10, lastError: row.11, deliveredAt: row.12, createdAt: row.13))
        }
        return Page(fetched: found, limit: page.limit) { PageCursor(createdAt: $0.createdAt, id: $0.id) }
    }

    /// Deliveries one request may make due again.
    public static let redeliveriesPerRequest = 1000

    /// Makes deliveries of `endpointID` due again now, from a first attempt: one (`deliveryID`, not
    /// while it is pending: it may be in flight), or the oldest `redeliveriesPerRequest` dead ones.
    /// Returns how many.
    public func redeliver(endpointID: UUID, deliveryID: UUID?, actor: AuditActor) async throws -> Int {
        let rows = try await query(
            """
            UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = \(now), last_error = NULL
            WHERE id IN (
                SELECT id FROM webhook_deliveries
                WHERE endpoint_id = \(endpointID) AND (\(deliveryID)::uuid IS NULL AND state = 'dead' OR id = \(deliveryID) AND state <> 'pending')
                ORDER BY created_at LIMIT \(Self.redeliveriesPerRequest))
            RETURNING id
            """)
        var count = 0
        for try await _ in rows.decode(UUID.self) { count += 1 }
        guard count > 0 else { return 0 }
        try await record(
            AuditEntry(
                chain: AuditChain.administration, action: "webhook.redeliver", entityType: "webhook_endpoint", entityID: endpointID, actor: actor,
                changes: [
                    "delivery_id": .init(after: deliveryID.map(Self.auditID) ?? .null), "count": .init(after: .int(count)),
                ]))
        return count
    }

    // MARK: Delivery workers (as the system)

    /// Claims up to `limit` due deliveries of enabled endpoints for `lease`: each counts an attempt
    /// and is due again when the lease ends, so a worker that dies mid-delivery leaves it to another.
    public func claimDueDeliveries(limit: Int, lease: Duration) async throws -> [ClaimedDelivery] {
        let leaseEnd = now.addingTimeInterval(Double(lease.components.seconds))
        let rows = try await query(
            """
            WITH due AS (
                SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.disabled_at IS NULL
                WHERE d.state = 'pending' AND d.next_attempt_at <= \(now)
                ORDER BY d.next_attempt_at LIMIT \(limit)
                FOR UPDATE OF d SKIP LOCKED)
            UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = \(leaseEnd), last_attempt_at = \(now)
            FROM due, webhook_endpoints e, outbox_events o
            WHERE d.id = due.id AND e.id = d.endpoint_id AND o.id = d.event_id
            RETURNING d.id, d.endpoint_id, e.url, d.attempts, e.secret,
                CASE WHEN e.previous_secret_expires_at > \(now) THEN e.previous_secret END,
                o.id, o.txid::text, o.seq, o.complaint_id, o.type, o.occurred_at, o.state
            """)
        var claimed: [ClaimedDelivery] = []
        for try await row in rows.decode((UUID, UUID, String, Int, String, String?, UUID, String, Int64, UUID, String, Date, String?).self) {
            // A secret that cannot be opened (its key left the key file) signs nothing: the delivery
            // is not sent unsigned (the worker records it as failed).
            let secrets = [row.4, row.5].compactMap { $0.flatMap(keys.open) }
            claimed.append(
                ClaimedDelivery(
                    id: row.0, endpointID: row.1, url: row.2, attempt: row.3, secrets: secrets,
                    event: OutboxEvent(
                        id: row.6, cursor: OutboxCursor(transaction: UInt64(row.7) ?? 0, sequence: row.8), complaintID: row.9, type: row.10,
                        occurredAt: row.11, state: row.12)))
        }
        return claimed
    }

    /// Records an attempt's outcome: delivered; due again after `retryAfter`; or dead when that is nil.
    /// A failure is recorded only while the delivery is still this attempt's (its lease may have
    /// ended and another worker claimed it).
    public func recordDeliveryAttempt(
        _ delivery: ClaimedDelivery, outcome: DeliveryAttempt, retryAfter: Duration?
    ) async throws {
        if outcome.succeeded {
            try await query(
                """
                UPDATE webhook_deliveries SET state = 'delivered', delivered_at = \(now), last_status = \(outcome.status),
                    last_latency_ms = \(outcome.latencyMilliseconds), last_error = NULL
                WHERE id = \(delivery.id) AND state = 'pending'
                """)
            return
        }
        let state: WebhookDeliveryState = retryAfter == nil ? .dead : .pending
        let next = now.addingTimeInterval(retryAfter.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 } ?? 0)
        try await query(
            """
            UPDATE webhook_deliveries SET state = \(state.rawValue), next_attempt_at = \(next), last_status = \(outcome.status),
                last_latency_ms = \(outcome.latencyMilliseconds), last_error = \(outcome.error ?? "HTTP \(outcome.status ?? 0)")
            WHERE id = \(delivery.id) AND state = 'pending' AND attempts = \(delivery.attempt)
            """)
    }

    /// Pending deliveries and how long the oldest has waited (for `/metrics`).
    public func pendingDeliveries() async throws -> (count: Int, oldest: Date?) {
        let rows = try await query("SELECT count(*), min(created_at) FROM webhook_deliveries WHERE state = 'pending'")
        for try await (count, oldest) in rows.decode((Int, Date?).self) { return (count, oldest) }
        return (0, nil)
    }
}
