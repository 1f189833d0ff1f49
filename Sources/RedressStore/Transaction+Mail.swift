import Foundation
import PostgresNIO
import RedressCore

/// A mail waiting in the queue, or claimed from it.
public struct QueuedMail: Sendable, Equatable {
    public let id: UUID
    public let accountID: UUID?
    public let to: String
    public let subject: String
    public let body: String
    public let category: String
    public let unsubscribeURL: String?
    /// This attempt's number, from 1, once claimed.
    public var attempt: Int

    public init(id: UUID = UUID(), accountID: UUID?, to: String, subject: String, body: String, category: String, unsubscribeURL: String? = nil, attempt: Int = 0) {
        self.id = id
        self.accountID = accountID
        self.to = to
        self.subject = subject
        self.body = body
        self.category = category
        self.unsubscribeURL = unsubscribeURL
        self.attempt = attempt
    }
}

/// Someone a mail about a case goes to.
public struct MailRecipient: Sendable, Equatable {
    public let accountID: UUID
    public let email: String
    public let language: String
}

/// An event as the notifier needs it.
public struct NotifiableEvent: Sendable {
    public let event: OutboxEvent
    public let actorID: UUID?
    public let internalOrganization: UUID?
}

/// A person's mail settings: the language and the optional categories turned off.
public struct NotificationPreferences: Sendable, Equatable {
    public var language: String
    public var disabled: Set<MailCategory>

    public init(language: String, disabled: Set<MailCategory>) {
        self.language = language
        self.disabled = disabled
    }
}

extension Transaction {
    public func queueMail(_ mail: QueuedMail) async throws {
        try await query(
            """
            INSERT INTO mail_outbox (id, account_id, to_address, subject, body, category, unsubscribe_url, next_attempt_at, created_at)
            VALUES (\(mail.id), \(mail.accountID), \(mail.to), \(mail.subject), \(mail.body), \(mail.category), \(mail.unsubscribeURL), \(now), \(now))
            """)
    }

    /// Claims up to `limit` due mails for `lease`, as `claimDueDeliveries` claims webhooks.
    public func claimDueMails(limit: Int, lease: Duration) async throws -> [QueuedMail] {
        let leaseEnd = now.addingTimeInterval(Double(lease.components.seconds))
        let rows = try await query(
            """
            WITH due AS (
                SELECT id FROM mail_outbox WHERE state = 'pending' AND next_attempt_at <= \(now)
                ORDER BY next_attempt_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            UPDATE mail_outbox m SET attempts = m.attempts + 1, next_attempt_at = \(leaseEnd)
            FROM due WHERE m.id = due.id
            RETURNING m.id, m.account_id, m.to_address, m.subject, m.body, m.category, m.unsubscribe_url, m.attempts
            """)
        var claimed: [QueuedMail] = []
        for try await row in rows.decode((UUID, UUID?, String, String, String, String, String?, Int).self) {
            claimed.append(
                QueuedMail(id: row.0, accountID: row.1, to: row.2, subject: row.3, body: row.4, category: row.5, unsubscribeURL: row.6, attempt: row.7))
        }
        return claimed
    }

    /// Sent; or due again after `retryAfter`; or dead when that is nil.
    public func recordMailAttempt(_ mail: QueuedMail, error: String?, retryAfter: Duration?) async throws {
        guard let error else {
            // A mail that carries a link standing for the person (a reset, a verification) is not
            // kept once it has left: its token would lie here in clear.
            if Self.carriesLink(mail.category) {
                try await query("DELETE FROM mail_outbox WHERE id = \(mail.id) AND state = 'pending'")
            } else {
                try await query("UPDATE mail_outbox SET state = 'sent', sent_at = \(now), last_error = NULL WHERE id = \(mail.id) AND state = 'pending'")
            }
            return
        }
        let state = retryAfter == nil ? "dead" : "pending"
        let next = now.addingTimeInterval(retryAfter.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 } ?? 0)
        try await query(
            """
            UPDATE mail_outbox SET state = \(state), next_attempt_at = \(next), last_error = \(String(error.prefix(500)))
            WHERE id = \(mail.id) AND state = 'pending' AND attempts = \(mail.attempt)
            """)
    }

    /// The categories of mails about one's account, whose links stand for the person.
    static func carriesLink(_ category: String) -> Bool { category == "account" || category == "registration" }

    /// Mails waiting and how long the oldest has waited (for `/metrics`).
    public func pendingMails() async throws -> (count: Int, oldest: Date?) {
        let rows = try await query("SELECT count(*), min(created_at) FROM mail_outbox WHERE state = 'pending'")
        for try await (count, oldest) in rows.decode((Int, Date?).self) { return (count, oldest) }
        return (0, nil)
    }

    // MARK: The notifier's reading of the outbox (as the system)

    /// As the system: takes up to `limit` events from the notification queue (any replica may, at
    /// once: each takes others than the rest), in the order they were written.
    public func takeNotifiableEvents(limit: Int) async throws -> [NotifiableEvent] {
        let rows = try await query(
            """
            WITH taken AS (
                DELETE FROM notification_queue WHERE event_id IN (
                    SELECT event_id FROM notification_queue LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                RETURNING event_id)
            SELECT o.id, o.txid::text AS transaction_id, o.seq, o.complaint_id, o.type, o.occurred_at, o.state, o.actor_account_id, o.internal_org
            FROM outbox_events o JOIN taken t ON t.event_id = o.id
            ORDER BY o.txid, o.seq
            """)
        var events: [NotifiableEvent] = []
        for try await row in rows.decode((UUID, String, Int64, UUID, String, Date, String?, UUID?, UUID?).self) {
            events.append(
                NotifiableEvent(
                    event: OutboxEvent(
                        id: row.0, cursor: OutboxCursor(transaction: UInt64(row.1) ?? 0, sequence: row.2), complaintID: row.3, type: row.4,
                        occurredAt: row.5, state: row.6),
                    actorID: row.7, internalOrganization: row.8))
        }
        return events
    }

    /// The people of `audience` of a case who receive mails of `category`: active, not erased, not
    /// turned off; at most 50 (a large organisation's staff are not all mailed each event).
    public func mailRecipients(complaintID: UUID, audience: MailAudience, category: MailCategory) async throws -> [MailRecipient] {
        let join: String
        switch audience {
        case .consumer: join = "a.id = c.consumer_id"
        case .platform: join = "a.organization_id = c.platform_id AND a.role IN ('platform_staff', 'platform_admin')"
        case .merchant: join = "a.organization_id = c.merchant_id AND a.role = 'merchant_staff'"
        case .mediationBody: join = "a.organization_id = c.mediation_body_id AND a.role IN ('mediator', 'mediation_lead')"
        case .assignedMediator: join = "a.id = c.mediator_id"
        }
        let rows = try await query(
            """
            SELECT a.id, a.email, a.mail_language FROM complaints c JOIN accounts a ON \(unescaped: join)
            WHERE c.id = \(complaintID) AND a.disabled_at IS NULL AND a.erased_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM notification_preferences p
                              WHERE p.account_id = a.id AND p.category = \(category.rawValue) AND NOT p.enabled)
            ORDER BY a.created_at, a.id LIMIT 50
            """)
        var found: [MailRecipient] = []
        for try await (id, email, language) in rows.decode((UUID, String, String).self) {
            found.append(MailRecipient(accountID: id, email: email, language: language))
        }
        return found
    }

    // MARK: A person's preferences

    public func notificationPreferences(accountID: UUID) async throws -> NotificationPreferences {
        var language = "zh-CN"
        for try await value in try await query("SELECT mail_language FROM accounts WHERE id = \(accountID)").decode(String.self) { language = value }
        var disabled: Set<MailCategory> = []
        let rows = try await query("SELECT category FROM notification_preferences WHERE account_id = \(accountID) AND NOT enabled")
        for try await category in rows.decode(String.self) { if let known = MailCategory(rawValue: category) { disabled.insert(known) } }
        return NotificationPreferences(language: language, disabled: disabled)
    }

    /// Sets the language (when given) and turns categories on or off.
    public func setNotificationPreferences(accountID: UUID, language: String?, categories: [MailCategory: Bool], actor: AuditActor) async throws {
        var changes: [String: AuditFieldChange] = [:]
        if let language {
            try await query("UPDATE accounts SET mail_language = \(language) WHERE id = \(accountID)")
            changes["mail_language"] = .init(after: .string(language))
        }
        for (category, enabled) in categories { changes[category.rawValue] = .init(after: .bool(enabled)) }
        try await record(
            AuditEntry(
                chain: AuditChain.account(accountID), action: "account.notifications", entityType: "account", entityID: accountID, actor: actor,
                changes: changes))
        for (category, enabled) in categories.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            try await query(
                """
                INSERT INTO notification_preferences (account_id, category, enabled) VALUES (\(accountID), \(category.rawValue), \(enabled))
                ON CONFLICT (account_id, category) DO UPDATE SET enabled = excluded.enabled
                """)
        }
    }
}

extension Keyring {
    /// The token of an unsubscribe link: the account, the category and a keyed digest of both, so
    /// that nobody can turn off another person's mails by guessing.
    public func unsubscribeToken(accountID: UUID, category: MailCategory) -> String {
        let message = "\(accountID.uuidString.lowercased()).\(category.rawValue)"
        return message + "." + HMACHex(message, purpose: .unsubscribe).prefix(32)
    }

    /// The account and category of a token made by `unsubscribeToken`, when it is genuine.
    public func unsubscribe(token: String) -> (accountID: UUID, category: MailCategory)? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard token.count <= 200, parts.count == 3, let account = UUID(uuidString: parts[0]), let category = MailCategory(rawValue: parts[1])
        else { return nil }
        let expected = Array(HMACHex("\(parts[0]).\(parts[1])", purpose: .unsubscribe).prefix(32).utf8)
        let given = Array(parts[2].utf8)
        guard given.count == expected.count else { return nil }
        var difference: UInt8 = 0
        for (a, b) in zip(given, expected) { difference |= a ^ b }
        return difference == 0 && parts[0] == account.uuidString.lowercased() ? (account, category) : nil
    }
}
