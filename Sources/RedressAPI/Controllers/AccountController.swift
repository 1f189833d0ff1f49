import Crypto
import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// What a person does with his own account: see and end his sessions, change his password.
struct AccountController {
    let database: Database
    let hasher: PasswordHasher
    let configuration: APIConfiguration
    let sessions: SessionCache

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/api/v1/me/sessions", listSessions),
            Endpoint(.delete, "/api/v1/me/sessions/:id", endSession),
            Endpoint(.post, "/api/v1/me/sessions/end-others", endOtherSessions),
            Endpoint(.post, "/api/v1/me/password", changePassword),
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

    private var idleSince: Date {
        configuration.clock.now().addingTimeInterval(-Double(configuration.sessionIdleTimeout.components.seconds))
    }

    @Sendable func listSessions(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PageResponse<SessionResponse>> {
        try Policy.authorize(context.principal, .readOwnAccount)
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        let pageRequest = try request.pageRequest()
        let idleSince = self.idleSince
        let page = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.activeSessions(accountID: actor.accountID, current: context.sessionDigest, idleSince: idleSince, page: pageRequest)
        }
        return JSONResponse(body: PageResponse(page, SessionResponse.init))
    }

    @Sendable func endSession(_ request: Request, context: RedressRequestContext) async throws -> Response {
        try Policy.authorize(context.principal, .readOwnAccount)
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        let id = try context.parameters.id()
        let ended = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.revokeSession(id: id, actor: context.auditActor)
        }
        // Not his, or already over: as if it never was.
        guard ended else { throw RedressError.notFound }
        sessions.forget(accountID: actor.accountID)
        return Response(status: .noContent)
    }

    @Sendable func endOtherSessions(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<EndedResponse> {
        try Policy.authorize(context.principal, .readOwnAccount)
        guard let actor = context.principal.actor, let digest = context.sessionDigest else { throw RedressError.unauthenticated }
        let ended = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.revokeOtherSessions(keeping: digest, actor: context.auditActor)
        }
        sessions.forget(accountID: actor.accountID)
        return JSONResponse(body: EndedResponse(ended: ended))
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
        let lookup = DatabaseIdentity(role: "anonymous", authEmail: account.email)
        let matches = try await check.run {
            guard let candidate = try await database.transaction(as: lookup, origin: context.origin, { try await $0.loginCandidate(email: account.email) })
            else { throw RedressError.unauthenticated }
            return try await hasher.verify(current, hash: candidate.passwordHash)
        }
        guard matches else { throw RedressError.validation([.init(field: "current_password", reason: "incorrect")]) }
        let newHash = try await hasher.hash(chosen)
        try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.changeOwnPassword(accountID: account.id, newHash: newHash, actor: context.auditActor)
            _ = try await transaction.revokeOtherSessions(keeping: digest, actor: context.auditActor)
        }
        sessions.forget(accountID: actor.accountID)
        return Response(status: .noContent)
    }
}
