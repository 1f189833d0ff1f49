import Foundation
import PostgresNIO
import RedressCore

/// A collective case: cases of one problem grouped by a mediation lead, one mediator and one proposal
/// (a share of each case's amount paid) offered to each consumer, each case keeping its own lifecycle.
public struct CollectiveCase: Sendable, Equatable {
    public var id: UUID
    public var mediationBodyID: UUID
    public var mediatorID: UUID
    public var title: String
    public var refundPercent: Int?
    public var proposalText: String?
    public var proposedAt: Date?
    public var createdBy: UUID
    public var createdAt: Date

    public init(id: UUID = UUID(), mediationBodyID: UUID, mediatorID: UUID, title: String, createdBy: UUID, createdAt: Date) {
        self.id = id
        self.mediationBodyID = mediationBodyID
        self.mediatorID = mediatorID
        self.title = title
        self.createdBy = createdBy
        self.createdAt = createdAt
    }
}

extension Transaction {
    public func insertCollective(_ collective: CollectiveCase, actor: AuditActor) async throws {
        try await query(
            """
            INSERT INTO collective_cases (id, mediation_body_id, mediator_id, title, created_by, created_at)
            VALUES (\(collective.id), \(collective.mediationBodyID), \(collective.mediatorID), \(collective.title), \(collective.createdBy),
                    \(collective.createdAt))
            """)
        try await record(
            AuditEntry(
                chain: AuditChain.administration, action: "collective.create", entityType: "collective_case", entityID: collective.id,
                actor: actor,
                changes: [
                    "mediation_body_id": .init(after: .string(collective.mediationBodyID.uuidString.lowercased())),
                    "mediator_id": .init(after: .string(collective.mediatorID.uuidString.lowercased())),
                    "title": .init(after: .personal(collective.title)),
                ]))
    }

    /// Makes a case part of a collective (its lead's act, in the case's own audit chain).
    public func joinCollective(complaintID: UUID, collectiveID: UUID, actor: AuditActor) async throws {
        var joined: Int?
        for try await version in try await query(
            """
            UPDATE complaints SET collective_id = \(collectiveID), version = version + 1, updated_at = \(now)
            WHERE id = \(complaintID) AND collective_id IS NULL RETURNING version
            """
        ).decode(Int.self) { joined = version }
        guard let version = joined else { throw RedressError(.conflict, detail: "The case joined a collective meanwhile.") }
        try await record(
            AuditEntry(
                chain: AuditChain.complaint(complaintID), action: "complaint.join_collective", entityType: "complaint", entityID: complaintID,
                actor: actor,
                changes: [
                    "collective_id": .init(after: .string(collectiveID.uuidString.lowercased())),
                    "version": .init(before: .int(version - 1), after: .int(version)),
                ]))
    }

    public func collective(id: UUID) async throws -> CollectiveCase? {
        try await decodeCollectives(
            query(
                """
                SELECT id, mediation_body_id, mediator_id, title, refund_percent, proposal_text, proposed_at, created_by, created_at
                FROM collective_cases WHERE id = \(id)
                """)
        ).first
    }

    /// The caller's body's collective cases, newest first (row-level security decides whose).
    public func collectives(offset: Int, limit: Int) async throws -> [CollectiveCase] {
        try await decodeCollectives(
            query(
                """
                SELECT id, mediation_body_id, mediator_id, title, refund_percent, proposal_text, proposed_at, created_by, created_at
                FROM collective_cases ORDER BY created_at DESC, id OFFSET \(offset) LIMIT \(limit)
                """))
    }

    private func decodeCollectives(_ rows: PostgresRowSequence) async throws -> [CollectiveCase] {
        var found: [CollectiveCase] = []
        for try await (id, body, mediator, title, percent, text, proposedAt, createdBy, createdAt) in rows.decode(
            (UUID, UUID, UUID, String, Int?, String?, Date?, UUID, Date).self)
        {
            var collective = CollectiveCase(id: id, mediationBodyID: body, mediatorID: mediator, title: title, createdBy: createdBy, createdAt: createdAt)
            collective.refundPercent = percent
            collective.proposalText = text
            collective.proposedAt = proposedAt
            found.append(collective)
        }
        return found
    }

    /// The cases of a collective the caller may read, oldest first.
    public func collectiveMembers(_ id: UUID) async throws -> [Complaint] {
        var members: [Complaint] = []
        for try await row in try await query(
            "SELECT \(unescaped: Self.complaintColumns) FROM complaints WHERE collective_id = \(id) ORDER BY submitted_at, id")
        {
            members.append(try Self.decodeComplaint(row))
        }
        return members
    }

    public func recordCollectiveProposal(_ id: UUID, refundPercent: Int?, text: String, actor: AuditActor) async throws {
        try await query(
            "UPDATE collective_cases SET refund_percent = \(refundPercent), proposal_text = \(text), proposed_at = \(now) WHERE id = \(id)")
        try await record(
            AuditEntry(
                chain: AuditChain.administration, action: "collective.propose", entityType: "collective_case", entityID: id, actor: actor,
                changes: [
                    "refund_percent": .init(after: refundPercent.map { .int($0) } ?? .null), "text": .init(after: .personal(text)),
                ]))
    }
}
