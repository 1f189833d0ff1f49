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

    /// The cursor as clients hold it: `t<transaction>s<sequence>` sealed with the service's key
    /// (`<key id>.<base64url>`), because the plain numbers are the whole cluster's: two cursors a day
    /// apart would tell a platform how busy its competitors were.
    public func sealed(with keys: Keyring) -> String {
        guard let sealed = try? keys.seal(Array("t\(transaction)s\(sequence)".utf8)), let colon = sealed.firstIndex(of: ":") else { return "" }
        let body = sealed[sealed.index(after: colon)...]
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return sealed[..<colon] + "." + body
    }

    /// A cursor `sealed(with:)` made, under any key still in the key file; nil otherwise.
    public init?(sealed text: String, keys: Keyring) {
        guard text.count <= 256, let dot = text.lastIndex(of: ".") else { return nil }
        var base64 = text[text.index(after: dot)...].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let bytes = keys.open(text[..<dot] + ":" + base64), let plain = String(bytes: bytes, encoding: .utf8) else { return nil }
        self.init(plain: plain)
    }

    init?(plain text: String) {
        guard text.hasPrefix("t"),
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
        try await execute(
            OutboxPublishStatement(
                complaintID: complaintID, type: type, occurredAt: now, state: state?.rawValue, internalOrganization: internalOrganization,
                hiddenFromPlatform: hiddenFromPlatform, actorID: actorID))
    }

    /// The events after `cursor` the caller may read (row-level security), in commit order; only those
    /// of transactions older than every one still running, so that none can appear behind the cursor later.
    /// The id is selected as `transaction_id`, not `txid`: ORDER BY would otherwise sort by the output
    /// column, as text ("1000" before "999"), and a page would skip the events it sorted last.
    public func outboxEvents(after cursor: OutboxCursor, limit: Int) async throws -> [OutboxEvent] {
        let rows = try await query(
            """
            SELECT id, txid::text AS transaction_id, seq, complaint_id, type, occurred_at, state FROM outbox_events
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
