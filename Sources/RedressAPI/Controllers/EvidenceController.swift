import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import RedressCore
import RedressStore
import Synchronization

/// Evidence files: uploaded as raw bytes, recognised by their signature, kept as uploaded, and
/// downloaded only by the case's parties, with the digest checked again and the read audited.
struct EvidenceController {
    let database: Database
    let configuration: APIConfiguration
    let gate: CallerGate

    /// The places uploads hold while they are read, inspected and stored (the console's too).
    static func uploadGate(_ configuration: APIConfiguration) -> CallerGate {
        CallerGate(
            capacity: configuration.concurrentUploads, perAccount: configuration.concurrentUploadsPerAccount,
            perAddress: configuration.concurrentUploadsPerAddress, maximumWaiting: 8 * configuration.concurrentUploads,
            refusal: "Upload one file at a time.")
    }

    var endpoints: [Endpoint] {
        [
            Endpoint(.post, "/api/v1/complaints/:id/evidence", upload),
            Endpoint(.get, "/api/v1/complaints/:id/evidence", list),
            Endpoint(.get, "/api/v1/complaints/:id/evidence/:evidenceID", download),
        ]
    }

    struct EvidenceResponse: Encodable, Sendable {
        let id: ResourceID
        let kind: EvidenceKind
        let filename: String
        let contentType: String
        let size: Int
        let sha256: String
        let uploadedBy: ResourceID
        let uploaderRole: String
        let uploadedAt: Date
        /// A recording's length in seconds.
        let durationSeconds: Nullable<Int>

        init(_ record: EvidenceRecord) {
            id = ResourceID(record.id)
            kind = record.kind
            filename = record.filename
            contentType = record.contentType
            size = record.size
            sha256 = record.sha256.hexString
            uploadedBy = ResourceID(record.uploadedBy)
            uploaderRole = record.uploaderRole
            uploadedAt = record.uploadedAt
            durationSeconds = Nullable(record.durationSeconds)
        }
    }

    @Sendable func upload(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<EvidenceResponse> {
        let (actor, complaintID) = try MessageController.caller(context)
        let query = request.uri.queryParameters
        var fields = FieldValidator()
        let kind = EvidenceKind(rawValue: query["kind"].map(String.init) ?? "")
        if kind == nil { fields.fail("kind", query["kind"] == nil ? "required" : "unknown_value") }
        let checkedName = query["filename"].map { EvidenceName.validate(String($0)) }
        let filename = checkedName?.name
        if checkedName == nil { fields.fail("filename", "required") } else if let reason = checkedName?.reason { fields.fail("filename", reason) }
        try fields.check()
        // Refuse what cannot fit before reading it, and stop reading when it stops fitting.
        let limit = configuration.maxEvidenceBytes
        let tooLarge = RedressError(.payloadTooLarge, detail: "An evidence file may be at most \(limit) bytes.")
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit { throw tooLarge }
        let maxFiles = configuration.maxEvidenceFiles
        // Only a party to an open case with room for a file gets its body read.
        try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await Self.requireRoomForUpload(actor, complaintID: complaintID, maxFiles: maxFiles, transaction, lock: false)
        }
        // Reading, inspecting and storing all hold a place: memory is bounded by the places, however
        // many callers send at once. A body that arrives slower than the minimum rate gives its place up.
        let address = context.origin.clientAddress.map(Transaction.throttleAddress)
        let pace = UploadPace(grace: configuration.uploadGrace, minimumBytesPerSecond: configuration.uploadMinimumBytesPerSecond)
        let record = try await gate.withPlace(for: actor.accountID, from: address) {
            let bytes = try await Self.collect(request.body, upTo: limit, pace: pace, tooLarge: tooLarge)
            return try await Self.store(
                bytes, kind: kind!, filename: filename!, declaredType: request.headers[.contentType], on: complaintID, by: actor,
                database: database, configuration: configuration, context: context)
        }
        return JSONResponse(status: .created, body: EvidenceResponse(record))
    }

    /// Keeps a file a party uploaded, for the API and the console alike: recognised by its bytes,
    /// declared and named as what it is, holding nothing that acts, stored with its digest while the
    /// case is locked and still has room.
    static func store(
        _ bytes: ByteBuffer, kind: EvidenceKind, filename: String, declaredType: String?, on complaintID: UUID, by actor: Actor,
        database: Database, configuration: APIConfiguration, context: RedressRequestContext
    ) async throws -> EvidenceRecord {
        // Reading a file of up to the upload limit through (a PDF's streams inflated) is long work for
        // the CPU: never on an event loop.
        let (detected, digest) = try await LongWork.run {
            (try inspect(bytes, filename: filename, declaredType: declaredType), bytes.withUnsafeReadableBytes { Array(SHA256.hash(data: $0)) })
        }
        let record = EvidenceRecord(
            id: UUID(), complaintID: complaintID, kind: kind, filename: filename, contentType: detected.type.rawValue, size: bytes.readableBytes,
            sha256: digest, uploadedBy: actor.accountID, uploaderRole: actor.role.rawValue, uploadedAt: configuration.clock.now(),
            durationSeconds: detected.durationSeconds)
        let maxFiles = configuration.maxEvidenceFiles
        try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await requireRoomForUpload(actor, complaintID: complaintID, maxFiles: maxFiles, transaction, lock: true)
            try await transaction.insertEvidence(record, bytes: bytes, actor: context.auditActor)
        }
        return record
    }

    /// The name a download is offered under. Text is kept byte for byte as uploaded, but always offered
    /// as `.txt`: a `.csv` that staff double-click would open in a spreadsheet, which runs cells such
    /// as `=HYPERLINK(…)` or `=cmd|…` as formulas; a text editor runs nothing.
    static func downloadName(_ record: EvidenceRecord) -> String {
        guard record.contentType == EvidenceFileType.text.rawValue, !record.filename.lowercased().hasSuffix(".txt") else { return record.filename }
        return record.filename + ".txt"
    }

    /// The caller is a party to the case, the case is open and has room for another file. Checked
    /// before the body is read, and again, with the case locked (so that concurrent uploads cannot
    /// pass the file limit together), before the file is stored.
    static func requireRoomForUpload(_ actor: Actor, complaintID: UUID, maxFiles: Int, _ transaction: Transaction, lock: Bool) async throws {
        // Read first without a lock: an auditor may see the case (and is told 403) but row-level
        // security hides it from a locking read, which only the parties may take.
        guard let visible = try await transaction.complaint(id: complaintID) else { throw RedressError.notFound }
        if CaseAccess.relations(of: actor, to: visible).isEmpty {
            throw actor.role == .auditor ? RedressError.forbidden : RedressError.notFound
        }
        let complaint = lock ? try await transaction.complaint(id: complaintID, forUpdate: true) : visible
        guard let complaint else { throw RedressError.notFound }
        if complaint.state.isTerminal { throw RedressError(.invalidTransition, detail: "The case is closed.", allowedActions: []) }
        if try await transaction.evidenceCount(complaintID: complaintID) >= maxFiles {
            throw RedressError.validation([.init(field: "body", reason: "too_many_files")])
        }
    }

    @Sendable func list(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PageResponse<EvidenceResponse>> {
        let (actor, complaintID) = try MessageController.caller(context)
        let page = try request.pageRequest()
        let records = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await MessageController.requireParty(actor, complaintID: complaintID, transaction)
            return try await transaction.evidence(complaintID: complaintID, page: page)
        }
        return JSONResponse(body: PageResponse(records, EvidenceResponse.init))
    }

    @Sendable func download(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let (actor, complaintID) = try MessageController.caller(context)
        let evidenceID = try context.parameters.id("evidenceID")
        let (record, content) = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await MessageController.requireParty(actor, complaintID: complaintID, transaction)
            guard let found = try await transaction.downloadEvidence(id: evidenceID, complaintID: complaintID, actor: context.auditActor) else {
                throw RedressError.notFound
            }
            return found
        }
        // The bytes must still be the ones whose digest was taken at upload.
        let digest = try await LongWork.run { content.withUnsafeReadableBytes { Array(SHA256.hash(data: $0)) } }
        guard digest == record.sha256 else {
            context.logger.critical("evidence digest mismatch", metadata: ["evidence": "\(record.id)"])
            throw RedressError(.internalError)
        }
        let encodedName = Self.downloadName(record).addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~")))
            ?? "evidence"
        return Response(
            status: .ok,
            headers: [
                .contentType: record.contentType,
                .contentDisposition: "attachment; filename=\"evidence-\(record.id.uuidString.lowercased())\"; filename*=UTF-8''\(encodedName)",
                .init("X-Content-Type-Options")!: "nosniff",
                .cacheControl: "private, no-store",
                .init("Digest")!: "sha-256=\(Data(record.sha256).base64EncodedString())",
            ],
            body: .init(byteBuffer: content))
    }
}
