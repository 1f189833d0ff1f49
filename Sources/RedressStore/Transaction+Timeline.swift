import Foundation
import PostgresNIO
import RedressCore

/// One event of a case's audit chain, as the timeline shows it.
public struct TimelineEvent: Sendable {
    public let seq: Int
    public let occurredAt: Date
    public let action: String
    public let actorRole: String
    public let actorOrganizationID: UUID?
    public let actorAccountID: UUID?
    /// The recorded changes; personal values (stored only as digests) are left out.
    public let changes: [String: Change]
    public let hash: String
    /// The hex SHA-256 of the event before it in its chain (64 zeros for the first).
    public let prevHash: String
    /// The canonical JSON the hash covers, as stored.
    public let content: String

    public struct Change: Sendable, Equatable, Encodable {
        public let before: String?
        public let after: String?
    }

    public var visibility: String? { changes["visibility"]?.after }

    /// Events written before addresses left the chain hold the client's address in their content:
    /// such content is never exported (its link and hash still are).
    public var holdsClientAddress: Bool { content.contains("\"client_address\":") }

    static func changes(fromContent content: String) -> [String: Change] {
        guard let parsed = (try? JSONSerialization.jsonObject(with: Data(content.utf8))) as? [String: Any],
            let changes = parsed["changes"] as? [String: Any]
        else { return [:] }
        func text(_ value: Any?) -> String? {
            switch value {
            case let string as String: string
            case let bool as Bool: bool ? "true" : "false"
            case let number as NSNumber: number.description
            default: nil  // absent, null, or a digest of personal data
            }
        }
        var result: [String: Change] = [:]
        for (field, value) in changes {
            guard let pair = value as? [String: Any] else { continue }
            let change = Change(before: text(pair["before"]), after: text(pair["after"]))
            if change.before != nil || change.after != nil { result[field] = change }
        }
        return result
    }
}

extension Transaction {
    /// The case's chain in order: after the event `afterSeq` (0: from the first), at most `limit`
    /// events (`nil`: all of them).
    public func timeline(complaintID: UUID, afterSeq: Int = 0, limit: Int? = nil) async throws -> [TimelineEvent] {
        let rows = try await query(
            """
            SELECT seq::int, occurred_at, action, actor_role, actor_organization_id, actor_account_id, content, encode(hash, 'hex'),
                   encode(prev_hash, 'hex')
            FROM audit_events WHERE chain_id = \(AuditChain.complaint(complaintID)) AND seq > \(afterSeq)
            ORDER BY seq LIMIT \(limit ?? Int(Int32.max))
            """)
        var events: [TimelineEvent] = []
        for try await (seq, at, action, role, organization, account, content, hash, prevHash) in rows.decode(
            (Int, Date, String, String, UUID?, UUID?, String, String, String).self)
        {
            events.append(
                TimelineEvent(
                    seq: seq, occurredAt: at, action: action, actorRole: role, actorOrganizationID: organization, actorAccountID: account,
                    changes: TimelineEvent.changes(fromContent: content), hash: hash, prevHash: prevHash, content: content))
        }
        return events
    }
}
