import Foundation
import PostgresNIO
import RedressCore

/// One event of the outbox, as the feed serves it.
public struct OutboxEvent: Sendable, Equatable {
    public let id: UUID
    public let cursor: OutboxCursor
    public let complaintID: UUID
    public let type: String
    public let occurredAt: Date
    public let state: String?
}

/// A place in the feed: the writing transaction's id and the row's sequence number (commit order).
public struct OutboxCursor: Sendable, Equatable {
    public let transaction: UInt64
    public let sequence: Int64

    public static let beginning = OutboxCursor(transaction: 0, sequence: 0)

    public init(transaction: UInt64, sequence: Int64) {
        self.transaction = transaction
        self.sequence = sequence
    }

    /// `t<transaction>s<sequence>` in base64url: opaque to clients, checked when read back.
    public var encoded: String {
        Data("t\(transaction)s\(sequence)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    public init?(encoded: String) {
        guard encoded.count <= 64 else { return nil }
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8), text.hasPrefix("t"),
            let separator = text.firstIndex(of: "s"),
            let transaction = UInt64(text[text.index(after: text.startIndex)..<separator]),
            let sequence = Int64(text[text.index(after: separator)...]), sequence >= 0
        else { return nil }
        self.init(transaction: transaction, sequence: sequence)
    }
}

extension Transaction {
    /// Writes an event of `complaintID` to the outbox, in this transaction.
    func publish(
        _ type: String, complaintID: UUID, state: ComplaintState?, internalOrganization: UUID? = nil, hiddenFromPlatform: Bool = false,
        actorID: UUID? = nil
    ) async throws {
        try await query(
            """
            INSERT INTO outbox_events (id, complaint_id, type, occurred_at, state, internal_org, hidden_from_platform, actor_account_id)
            VALUES (\(UUID()), \(complaintID), \(type), \(now), \(state?.rawValue), \(internalOrganization), \(hiddenFromPlatform), \(actorID))
            """)
    }

    /// The events after `cursor` the caller may read (row-level security), in commit order; only those
    /// of transactions older than every one still running, so that none can appear behind the cursor later.
    public func outboxEvents(after cursor: OutboxCursor, limit: Int) async throws -> [OutboxEvent] {
        let rows = try await query(
            """
            SELECT id, txid::text, seq, complaint_id, type, occurred_at, state FROM outbox_events
            WHERE (txid, seq) > (\(String(cursor.transaction))::xid8, \(cursor.sequence))
              AND txid < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY txid, seq
            LIMIT \(limit)
            """)
        var events: [OutboxEvent] = []
        for try await (id, txid, seq, complaint, type, occurred, state) in rows.decode((UUID, String, Int64, UUID, String, Date, String?).self) {
            events.append(
                OutboxEvent(
                    id: id, cursor: OutboxCursor(transaction: UInt64(txid) ?? 0, sequence: seq), complaintID: complaint, type: type,
                    occurredAt: occurred, state: state))
        }
        return events
    }
}
