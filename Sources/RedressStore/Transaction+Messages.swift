import Foundation
import PostgresNIO
import RedressCore

public struct MessageRecord: Sendable, Equatable {
    public enum Visibility: String, Sendable, Codable {
        case parties, `internal`
    }
    /// A message of the thread, a seller's holding reply (`acknowledge`, recorded with the action), or a
    /// consumer's supplement to his statement (with the evidence it points to).
    public enum Kind: String, Sendable, Codable {
        case message, acknowledgement, supplement
    }
    public let id: UUID
    public let complaintID: UUID
    public let authorID: UUID
    public let authorRole: String
    public let authorOrganizationID: UUID?
    public let visibility: Visibility
    public let body: String
    public let createdAt: Date
    public let kind: Kind
    /// A supplement's evidence.
    public let evidenceIDs: [UUID]

    public init(
        id: UUID, complaintID: UUID, authorID: UUID, authorRole: String, authorOrganizationID: UUID?, visibility: Visibility, body: String,
        createdAt: Date, kind: Kind = .message, evidenceIDs: [UUID] = []
    ) {
        self.id = id
        self.complaintID = complaintID
        self.authorID = authorID
        self.authorRole = authorRole
        self.authorOrganizationID = authorOrganizationID
        self.visibility = visibility
        self.body = body
        self.createdAt = createdAt
        self.kind = kind
        self.evidenceIDs = evidenceIDs
    }
}

extension Transaction {
    public func insertMessage(_ message: MessageRecord, actor: AuditActor) async throws {
        try await insertThreadEntry(message)
        try await record(
            AuditEntry(
                chain: AuditChain.complaint(message.complaintID), action: "message.post", entityType: "message", entityID: message.id,
                actor: actor,
                changes: [
                    "visibility": .init(after: .string(message.visibility.rawValue)),
                    "body": .init(after: .personal(message.body)),
                ]))
        try await publish(
            "message.post", complaintID: message.complaintID, state: nil,
            internalOrganization: message.visibility == .internal ? message.authorOrganizationID : nil, actorID: message.authorID)
    }

    /// Appends a consumer's supplement to the thread, with its audit event and the event the parties hear of.
    public func insertSupplement(_ supplement: MessageRecord, actor: AuditActor) async throws {
        try await insertThreadEntry(supplement)
        try await record(
            AuditEntry(
                chain: AuditChain.complaint(supplement.complaintID), action: "complaint.supplement", entityType: "message",
                entityID: supplement.id, actor: actor,
                changes: [
                    "statement": .init(after: .personal(supplement.body)),
                    "evidence_ids": .init(after: .string(supplement.evidenceIDs.map { $0.uuidString.lowercased() }.joined(separator: ","))),
                ]))
        try await publish("complaint.supplement", complaintID: supplement.complaintID, state: nil, actorID: supplement.authorID)
    }

    /// How many supplements a case holds.
    public func supplementCount(complaintID: UUID) async throws -> Int {
        for try await count in try await query(
            "SELECT count(*)::int FROM complaint_messages WHERE complaint_id = \(complaintID) AND kind = 'supplement'"
        ).decode(Int.self) {
            return count
        }
        return 0
    }

    /// Writes a row of the thread without an audit event of its own: for an entry that an action
    /// records (a holding reply is in the `acknowledge` event).
    public func insertThreadEntry(_ message: MessageRecord) async throws {
        try await query(
            """
            INSERT INTO complaint_messages (
                id, complaint_id, author_id, author_role, author_organization_id, visibility, body, created_at, kind, evidence_ids)
            VALUES (\(message.id), \(message.complaintID), \(message.authorID), \(message.authorRole), \(message.authorOrganizationID),
                    \(message.visibility.rawValue), \(message.body), \(message.createdAt), \(message.kind.rawValue), \(message.evidenceIDs))
            """)
        try await indexMessageText(message)
    }

    /// The thread as the caller may read it (row-level security hides the rest); of one kind only when
    /// `kind` is given.
    public func messages(complaintID: UUID, page: PageRequest, kind: MessageRecord.Kind? = nil) async throws -> Page<MessageRecord> {
        let after = page.after ?? .beginning
        let rows = try await query(
            """
            SELECT id, complaint_id, author_id, author_role, author_organization_id, visibility, body, created_at, kind, evidence_ids
            FROM complaint_messages
            WHERE complaint_id = \(complaintID) AND (\(kind == nil) OR kind = \(kind?.rawValue ?? ""))
              AND (created_at, id) > ('epoch'::timestamptz + \(after.microseconds) * interval '1 microsecond', \(after.id))
            ORDER BY created_at, id LIMIT \(page.limit + 1)
            """)
        let messages = try await Self.decodeMessages(rows)
        return Page(fetched: messages, limit: page.limit) { PageCursor(createdAt: $0.createdAt, id: $0.id) }
    }

    /// The newest `limit` entries of a thread, oldest first, and whether older ones exist.
    public func latestMessages(complaintID: UUID, limit: Int) async throws -> (messages: [MessageRecord], more: Bool) {
        let rows = try await query(
            """
            SELECT id, complaint_id, author_id, author_role, author_organization_id, visibility, body, created_at, kind, evidence_ids
            FROM complaint_messages WHERE complaint_id = \(complaintID)
            ORDER BY created_at DESC, id DESC LIMIT \(limit + 1)
            """)
        let newest = try await Self.decodeMessages(rows)
        return (Array(newest.prefix(limit).reversed()), newest.count > limit)
    }

    static func decodeMessages(_ rows: PostgresRowSequence) async throws -> [MessageRecord] {
        var messages: [MessageRecord] = []
        for try await (id, complaint, author, role, organization, visibility, body, createdAt, kind, evidence) in rows.decode(
            (UUID, UUID, UUID, String, UUID?, String, String, Date, String, [UUID]).self)
        {
            messages.append(
                MessageRecord(
                    id: id, complaintID: complaint, authorID: author, authorRole: role, authorOrganizationID: organization,
                    visibility: MessageRecord.Visibility(rawValue: visibility) ?? .parties, body: body, createdAt: createdAt,
                    kind: MessageRecord.Kind(rawValue: kind) ?? .message, evidenceIDs: evidence))
        }
        return messages
    }
}
