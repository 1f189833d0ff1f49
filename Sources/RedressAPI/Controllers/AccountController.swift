import Crypto
import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// What a person does with his own account: see and end his sessions, change his password, take
/// his data out.
struct AccountController {
    let database: Database
    let hasher: PasswordHasher
    let configuration: APIConfiguration
    let sessions: SessionCache
    /// Exports are large reads: one per account at a time, a few in the process (the API's and the
    /// console's together).
    static let exports = CallerGate(capacity: 4, perAccount: 1, refusal: "Your previous export is still being made.")

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/api/v1/me/sessions", listSessions),
            Endpoint(.delete, "/api/v1/me/sessions/:id", endSession),
            Endpoint(.post, "/api/v1/me/sessions/end-others", endOtherSessions),
            Endpoint(.post, "/api/v1/me/password", changePassword),
            Endpoint(.get, "/api/v1/me/export", export),
            Endpoint(.delete, "/api/v1/me", erase),
        ]
    }

    struct SessionResponse: Encodable, Sendable {
        let id: ResourceID
        let createdAt: Date
        let lastUsedAt: Date
        let expiresAt: Date
        let clientDescription: String?
        let clientAddress: String?
        let current: Bool

        init(_ session: SessionRecord) {
            id = ResourceID(session.id)
            createdAt = session.createdAt
            lastUsedAt = session.lastUsedAt
            expiresAt = session.expiresAt
            clientDescription = session.clientDescription
            clientAddress = session.clientAddress
            current = session.isCurrent
        }
    }

    struct EndedResponse: Encodable, Sendable {
        let ended: Int
    }

    struct PasswordChangeRequest: Decodable {
        let currentPassword: String?
        let newPassword: String?
    }

    struct ExportResponse: Encodable, Sendable {
        struct Session: Encodable, Sendable {
            let id: ResourceID
            let createdAt: Date
            let lastUsedAt: Date
            let expiresAt: Date
            let revokedAt: Date?
            let clientDescription: String?
            let clientAddress: String?
        }
        struct Message: Encodable, Sendable {
            let id: ResourceID
            let complaintID: ResourceID
            let visibility: String
            let body: String
            let createdAt: Date
        }
        struct Evidence: Encodable, Sendable {
            let id: ResourceID
            let complaintID: ResourceID
            let kind: String
            let filename: String
            let contentType: String
            let size: Int64
            let sha256: String
            let uploadedAt: Date
        }
        struct Event: Encodable, Sendable {
            let seq: Int
            let occurredAt: Date
            let action: String
        }

        let exportedAt: Date
        let account: AccountResponse
        let sessions: [Session]
        let complaints: [ComplaintResponse]
        let messages: [Message]
        let evidence: [Evidence]
        let accountEvents: [Event]
        /// More than `PersonalData.maximumRows` of one kind: the newest are here.
        let truncated: Bool
    }

    /// Everything Redress holds about the caller, as JSON (PIPL Art. 45): nothing of anyone else's.
    @Sendable func export(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let body = try await exportDocument(context)
        var response = try JSONResponse(body: body).response(from: request, context: context)
        // A file to keep, not a page to cache.
        response.headers[.contentDisposition] = "attachment; filename=\"redress-export.json\""
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// The caller's export (for the API and the console).
    func exportDocument(_ context: RedressRequestContext) async throws -> ExportResponse {
        try Policy.authorize(context.principal, .readOwnAccount)
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        let now = configuration.clock.now()
        let data = try await Self.exports.withPlace(for: actor.accountID) {
            try await database.transaction(as: context.identity, origin: context.origin) { transaction in
                try await transaction.personalData(accountID: actor.accountID)
            }
        }
        guard let data else { throw RedressError.unauthenticated }
        return ExportResponse(
            exportedAt: now, account: AccountResponse(data.account),
            sessions: data.sessions.map {
                .init(id: ResourceID($0.id), createdAt: $0.createdAt, lastUsedAt: $0.lastUsedAt, expiresAt: $0.expiresAt, revokedAt: $0.revokedAt,
                      clientDescription: $0.clientDescription, clientAddress: $0.clientAddress)
            },
            complaints: data.complaints.map { ComplaintResponse($0, access: CaseAccess(actor, to: $0, now: now), readiness: nil) },
            messages: data.messages.map {
                .init(id: ResourceID($0.id), complaintID: ResourceID($0.complaintID), visibility: $0.visibility, body: $0.body, createdAt: $0.createdAt)
            },
            evidence: data.evidence.map {
                .init(id: ResourceID($0.id), complaintID: ResourceID($0.complaintID), kind: $0.kind, filename: $0.filename,
                      contentType: $0.contentType, size: $0.size, sha256: $0.sha256, uploadedAt: $0.uploadedAt)
            },
            accountEvents: data.accountEvents.map { .init(seq: $0.seq, occurredAt: $0.occurredAt, action: $0.action) },
            truncated: data.truncated)
    }

    struct ErasureRequest: Decodable {
        let password: String?
    }

    struct ErasureResponse: Encodable, Sendable {
        let complaints: Int
        let messages: Int
        let evidence: Int
    }

    /// Erases the caller's account and his data (PIPL Art. 47), his password confirming it. A consumer
    /// only (a staff account belongs to its organisation: its administrator disables it), and only once
    /// none of his cases is open: withdraw them, or wait for them to close.
    @Sendable func erase(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<ErasureResponse> {
        try Policy.authorize(context.principal, .readOwnAccount)
        let body = try await request.decodeJSON(ErasureRequest.self, limit: configuration.maxJSONBodyBytes)
        return JSONResponse(body: try await eraseOwnAccount(password: body.password, context: context))
    }

    /// The erasure itself (for the API and the console).
    func eraseOwnAccount(password: String?, context: RedressRequestContext) async throws -> ErasureResponse {
        try Policy.authorize(context.principal, .readOwnAccount)
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        guard actor.role == .consumer else {
            throw RedressError(.forbidden, detail: "A staff account is disabled by its organisation's administrator.")
        }
        let password = password ?? ""
        var fields = FieldValidator()
        if password.isEmpty { fields.fail("password", "required") }
        if password.count > PasswordRules.maximumLength { fields.fail("password", "too_long") }
        try fields.check()
        let (account, open) = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            (try await transaction.account(id: actor.accountID), try await transaction.openComplaintCount(consumerID: actor.accountID))
        }
        guard let account else { throw RedressError.unauthenticated }
        if open > 0 {
            throw RedressError(.conflict, detail: "\(open) of your complaints are still open: withdraw them, or wait until they close.")
        }
        let check = ThrottledCheck(
            database: database, throttle: configuration.loginThrottle, email: account.email, accountID: account.id, origin: context.origin)
        guard try await check.password(password, hasher: hasher) != nil else {
            throw RedressError.validation([.init(field: "password", reason: "incorrect")])
        }
        // The store checks again, under the account's lock: a filing may have come in meanwhile.
        let outcome = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.eraseOwnAccount(accountID: actor.accountID, actor: context.auditActor)
        }
        sessions.forget(accountID: actor.accountID)
        return ErasureResponse(complaints: outcome.complaints, messages: outcome.messages, evidence: outcome.evidence)
    }

    private var idleSince: Date {
        configuration.clock.now().addingTimeInterval(-Double(configuration.sessionIdleTimeout.components.seconds))
    }

    @Sendable func listSessions(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PageResponse<SessionResponse>> {
        // Who asks comes first: a stranger's malformed cursor is answered 401, not 422.
        try Policy.authorize(context.principal, .readOwnAccount)
        let page = try await activeSessions(try request.pageRequest(), context: context)
        return JSONResponse(body: PageResponse(page, SessionResponse.init))
    }

    /// The caller's sessions that still open (for the API and the console).
    func activeSessions(_ pageRequest: PageRequest, context: RedressRequestContext) async throws -> Page<SessionRecord> {
        try Policy.authorize(context.principal, .readOwnAccount)
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        let idleSince = self.idleSince
        return try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.activeSessions(accountID: actor.accountID, current: context.sessionDigest, idleSince: idleSince, page: pageRequest)
        }
    }

    @Sendable func endSession(_ request: Request, context: RedressRequestContext) async throws -> Response {
        try Policy.authorize(context.principal, .readOwnAccount)
        try await endSession(try context.parameters.id(), context: context)
        return Response(status: .noContent)
    }

    /// Ends one of the caller's sessions (for the API and the console).
    func endSession(_ id: UUID, context: RedressRequestContext) async throws {
        try Policy.authorize(context.principal, .readOwnAccount)
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        let ended = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.revokeSession(id: id, actor: context.auditActor)
        }
        // Not his, or already over: as if it never was.
        guard ended else { throw RedressError.notFound }
        sessions.forget(accountID: actor.accountID)
    }

    @Sendable func endOtherSessions(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<EndedResponse> {
        JSONResponse(body: EndedResponse(ended: try await endOtherSessions(context)))
    }

    /// Ends every session of the caller's but this one (for the API and the console).
    func endOtherSessions(_ context: RedressRequestContext) async throws -> Int {
        try Policy.authorize(context.principal, .readOwnAccount)
        guard let actor = context.principal.actor, let digest = context.sessionDigest else { throw RedressError.unauthenticated }
        let ended = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.revokeOtherSessions(keeping: digest, actor: context.auditActor)
        }
        sessions.forget(accountID: actor.accountID)
        return ended
    }

    /// The current password is checked under the sign-in throttle: a stolen token must not become a
    /// way to guess the password. Every other session ends.
    @Sendable func changePassword(_ request: Request, context: RedressRequestContext) async throws -> Response {
        try Policy.authorize(context.principal, .readOwnAccount)
        guard let actor = context.principal.actor, let digest = context.sessionDigest else { throw RedressError.unauthenticated }
        let body = try await request.decodeJSON(PasswordChangeRequest.self, limit: configuration.maxJSONBodyBytes)
        let account = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.account(id: actor.accountID)
        }
        guard let account else { throw RedressError.unauthenticated }
        var fields = FieldValidator()
        let current = body.currentPassword ?? ""
        if current.isEmpty { fields.fail("current_password", "required") }
        if current.count > PasswordRules.maximumLength { fields.fail("current_password", "too_long") }
        let chosen = fields.password(body.newPassword, email: account.email, field: "new_password")
        if !current.isEmpty, chosen == current { fields.fail("new_password", "same_as_current") }
        try fields.check()
        let check = ThrottledCheck(
            database: database, throttle: configuration.loginThrottle, email: account.email, accountID: account.id, origin: context.origin)
        // The hash the password was checked against: the change is made only while it is still the one.
        guard let verifiedHash = try await check.password(current, hasher: hasher) else {
            throw RedressError.validation([.init(field: "current_password", reason: "incorrect")])
        }
        let newHash = try await hasher.hash(chosen)
        try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.changeOwnPassword(accountID: account.id, newHash: newHash, verifiedHash: verifiedHash, actor: context.auditActor)
            _ = try await transaction.revokeOtherSessions(keeping: digest, actor: context.auditActor)
        }
        sessions.forget(accountID: actor.accountID)
        return Response(status: .noContent)
    }
}
