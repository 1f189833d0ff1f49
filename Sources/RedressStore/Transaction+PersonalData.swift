import Foundation
import PostgresNIO
import RedressCore

/// Everything Redress holds about one person (PIPL Art. 45): his account, his sessions, the
/// complaints he filed, the messages he wrote and the evidence he uploaded, and the events of his
/// account's own audit chain. Nothing of anyone else's.
public struct PersonalData: Sendable {
    public struct SessionEntry: Sendable {
        public let id: UUID
        public let createdAt: Date
        public let lastUsedAt: Date
        public let expiresAt: Date
        public let revokedAt: Date?
        public let clientDescription: String?
        public let clientAddress: String?
    }

    public struct MessageEntry: Sendable {
        public let id: UUID
        public let complaintID: UUID
        public let visibility: String
        public let body: String
        public let createdAt: Date
    }

    public struct EvidenceEntry: Sendable {
        public let id: UUID
        public let complaintID: UUID
        public let kind: String
        public let filename: String
        public let contentType: String
        public let size: Int64
        public let sha256: String
        public let uploadedAt: Date
    }

    public struct AccountEvent: Sendable {
        public let seq: Int
        public let occurredAt: Date
        public let action: String
    }

    public let account: AccountRecord
    public let sessions: [SessionEntry]
    public let complaints: [Complaint]
    public let messages: [MessageEntry]
    public let evidence: [EvidenceEntry]
    public let accountEvents: [AccountEvent]

    /// Most rows of one kind in one export; a person with more gets the newest and `truncated`.
    public static let maximumRows = 20_000
    public let truncated: Bool
}

extension Transaction {
    /// The caller's own data (row-level security: the identity must be the account itself).
    public func personalData(accountID: UUID) async throws -> PersonalData? {
        guard let account = try await account(id: accountID) else { return nil }
        let limit = PersonalData.maximumRows + 1
        var truncated = false
        func capped<T>(_ rows: [T]) -> [T] {
            if rows.count >= limit { truncated = true }
            return Array(rows.prefix(PersonalData.maximumRows).reversed())
        }
        var sessions: [PersonalData.SessionEntry] = []
        for try await (id, created, lastUsed, expires, revoked, description, address) in try await query(
            """
            SELECT id, created_at, last_used_at, expires_at, revoked_at, client_description, client_address FROM sessions
            WHERE account_id = \(accountID) ORDER BY created_at DESC, id DESC LIMIT \(limit)
            """
        ).decode((UUID, Date, Date, Date, Date?, String?, String?).self) {
            sessions.append(.init(
                id: id, createdAt: created, lastUsedAt: lastUsed, expiresAt: expires, revokedAt: revoked, clientDescription: description,
                clientAddress: address))
        }
        var complaints: [Complaint] = []
        for try await row in try await query(
            """
            SELECT \(unescaped: Self.complaintColumns) FROM complaints WHERE consumer_id = \(accountID)
            ORDER BY submitted_at DESC, id DESC LIMIT \(limit)
            """)
        {
            complaints.append(try Self.decodeComplaint(row))
        }
        var messages: [PersonalData.MessageEntry] = []
        for try await (id, complaint, visibility, body, created) in try await query(
            """
            SELECT id, complaint_id, visibility, body, created_at FROM complaint_messages
            WHERE author_id = \(accountID) ORDER BY created_at DESC, id DESC LIMIT \(limit)
            """
        ).decode((UUID, UUID, String, String, Date).self) {
            messages.append(.init(id: id, complaintID: complaint, visibility: visibility, body: body, createdAt: created))
        }
        var evidence: [PersonalData.EvidenceEntry] = []
        for try await (id, complaint, kind, filename, contentType, size, sha256, uploaded) in try await query(
            """
            SELECT id, complaint_id, kind, filename, content_type, size, encode(sha256, 'hex'), uploaded_at FROM evidence
            WHERE uploaded_by = \(accountID) ORDER BY uploaded_at DESC, id DESC LIMIT \(limit)
            """
        ).decode((UUID, UUID, String, String, String, Int64, String, Date).self) {
            evidence.append(.init(
                id: id, complaintID: complaint, kind: kind, filename: filename, contentType: contentType, size: size, sha256: sha256,
                uploadedAt: uploaded))
        }
        var events: [PersonalData.AccountEvent] = []
        for try await (seq, occurred, action) in try await query(
            """
            SELECT seq::int, occurred_at, action FROM audit_events
            WHERE chain_id = \(AuditChain.account(accountID)) ORDER BY seq DESC LIMIT \(limit)
            """
        ).decode((Int, Date, String).self) {
            events.append(.init(seq: seq, occurredAt: occurred, action: action))
        }
        return PersonalData(
            account: account, sessions: capped(sessions), complaints: capped(complaints), messages: capped(messages),
            evidence: capped(evidence), accountEvents: capped(events), truncated: truncated)
    }
}
