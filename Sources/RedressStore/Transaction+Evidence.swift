import Crypto
import Foundation
import PostgresNIO
import RedressCore

public struct EvidenceRecord: Sendable, Equatable {
    public let id: UUID
    public let complaintID: UUID
    public let kind: EvidenceKind
    public let filename: String
    public let contentType: String
    public let size: Int
    public let sha256: [UInt8]
    public let uploadedBy: UUID
    public let uploaderRole: String
    public let uploadedAt: Date
    /// A recording's length (`AudioInspection`); `nil` for every other file.
    public let durationSeconds: Int?

    public init(
        id: UUID, complaintID: UUID, kind: EvidenceKind, filename: String, contentType: String, size: Int, sha256: [UInt8],
        uploadedBy: UUID, uploaderRole: String, uploadedAt: Date, durationSeconds: Int? = nil
    ) {
        self.id = id
        self.complaintID = complaintID
        self.kind = kind
        self.filename = filename
        self.contentType = contentType
        self.size = size
        self.sha256 = sha256
        self.uploadedBy = uploadedBy
        self.uploaderRole = uploaderRole
        self.uploadedAt = uploadedAt
        self.durationSeconds = durationSeconds
    }
}

extension Transaction {
    static let evidenceColumns = "id, complaint_id, kind, filename, content_type, size, sha256, uploaded_by, uploader_role, uploaded_at, duration_seconds"

    /// Stores the bytes once per digest and the evidence that points at them, with an audit event.
    public func insertEvidence(_ evidence: EvidenceRecord, bytes: ByteBuffer, actor: AuditActor) async throws {
        try await query(
            """
            INSERT INTO evidence (\(unescaped: Self.evidenceColumns))
            VALUES (\(evidence.id), \(evidence.complaintID), \(evidence.kind.rawValue), \(evidence.filename), \(evidence.contentType),
                    \(Int64(evidence.size)), \(PostgresByteBuffer(evidence.sha256)), \(evidence.uploadedBy), \(evidence.uploaderRole),
                    \(evidence.uploadedAt), \(evidence.durationSeconds))
            """)
        try await query(
            """
            INSERT INTO evidence_blobs (sha256, content, size, created_at)
            VALUES (\(PostgresByteBuffer(evidence.sha256)), \(bytes), \(Int64(evidence.size)), \(now))
            ON CONFLICT (sha256) DO NOTHING
            """)
        try await record(
            AuditEntry(
                chain: AuditChain.complaint(evidence.complaintID), action: "evidence.upload", entityType: "evidence", entityID: evidence.id,
                actor: actor,
                changes: [
                    "kind": .init(after: .string(evidence.kind.rawValue)),
                    "filename": .init(after: .personal(evidence.filename)),
                    "content_type": .init(after: .string(evidence.contentType)),
                    "size": .init(after: .int(evidence.size)),
                    "sha256": .init(after: .string(evidence.sha256.hexString)),
                ].merging(evidence.durationSeconds.map { ["duration_seconds": .init(after: .int($0))] } ?? [:]) { $1 }))
        effects.evidenceStored(bytes: evidence.size)
    }

    public func evidenceCount(complaintID: UUID) async throws -> Int {
        for try await count in try await query("SELECT count(*)::int FROM evidence WHERE complaint_id = \(complaintID)").decode(Int.self) {
            return count
        }
        return 0
    }

    public func evidenceKinds(complaintID: UUID) async throws -> [EvidenceKind] {
        var kinds: [EvidenceKind] = []
        for try await row in try await execute(EvidenceKindsStatement(id: complaintID)) {
            let kind = try row.decode(String.self)
            if let parsed = EvidenceKind(rawValue: kind) { kinds.append(parsed) }
        }
        return kinds
    }

    public func evidence(complaintID: UUID, page: PageRequest) async throws -> Page<EvidenceRecord> {
        let after = page.after ?? .beginning
        let rows = try await query(
            """
            SELECT \(unescaped: Self.evidenceColumns) FROM evidence
            WHERE complaint_id = \(complaintID)
              AND (uploaded_at, id) > ('epoch'::timestamptz + \(after.microseconds) * interval '1 microsecond', \(after.id))
            ORDER BY uploaded_at, id LIMIT \(page.limit + 1)
            """)
        var records: [EvidenceRecord] = []
        for try await row in rows { records.append(try Self.decodeEvidence(row)) }
        return Page(fetched: records, limit: page.limit) { PageCursor(createdAt: $0.uploadedAt, id: $0.id) }
    }

    /// One piece of evidence and its bytes, recording the read in the case's audit chain.
    public func downloadEvidence(id: UUID, complaintID: UUID, actor: AuditActor) async throws -> (EvidenceRecord, ByteBuffer)? {
        let rows = try await query(
            """
            SELECT \(unescaped: Self.evidenceColumns.split(separator: ",").map { "e." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")),
                   b.content
            FROM evidence e JOIN evidence_blobs b ON b.sha256 = e.sha256
            WHERE e.id = \(id) AND e.complaint_id = \(complaintID)
            """)
        for try await row in rows {
            let record = try Self.decodeEvidence(row)
            let content = try row.makeRandomAccess()["content"].decode(ByteBuffer.self)
            try await self.record(
                AuditEntry(
                    chain: AuditChain.complaint(complaintID), action: "evidence.download", entityType: "evidence", entityID: id,
                    actor: actor, changes: ["sha256": .init(after: .string(record.sha256.hexString))]))
            return (record, content)
        }
        return nil
    }

    static func decodeEvidence(_ row: PostgresRow) throws -> EvidenceRecord {
        let c = row.makeRandomAccess()
        var digest = try c["sha256"].decode(ByteBuffer.self)
        return EvidenceRecord(
            id: try c["id"].decode(UUID.self), complaintID: try c["complaint_id"].decode(UUID.self),
            kind: EvidenceKind(rawValue: try c["kind"].decode(String.self)) ?? .other, filename: try c["filename"].decode(String.self),
            contentType: try c["content_type"].decode(String.self), size: Int(try c["size"].decode(Int64.self)),
            sha256: digest.readBytes(length: digest.readableBytes) ?? [], uploadedBy: try c["uploaded_by"].decode(UUID.self),
            uploaderRole: try c["uploader_role"].decode(String.self), uploadedAt: try c["uploaded_at"].decode(Date.self),
            durationSeconds: try c["duration_seconds"].decode(Int?.self))
    }
}

extension Transaction {
    /// The ids of a case's evidence (a case holds at most the operator's file limit).
    public func evidenceIDs(complaintID: UUID) async throws -> [UUID] {
        var ids: [UUID] = []
        for try await id in try await query("SELECT id FROM evidence WHERE complaint_id = \(complaintID)").decode(UUID.self) { ids.append(id) }
        return ids
    }
}
