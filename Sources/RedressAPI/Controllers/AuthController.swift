import Crypto
import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// Registration, login, logout and the caller's own account.
struct AuthController {
    let database: Database
    let hasher: PasswordHasher
    let configuration: APIConfiguration
    /// A hash to verify against when the e-mail is unknown, so that both failures take the same time.
    let decoyHash: String
    let sessions: SessionCache

    var registration: Registration { Registration(database: database, hasher: hasher, configuration: configuration) }

    var endpoints: [Endpoint] {
        [
            Endpoint(.post, "/api/v1/auth/register", register),
            Endpoint(.post, "/api/v1/auth/register/confirm", confirmRegistration),
            Endpoint(.post, "/api/v1/auth/login", login),
            Endpoint(.post, "/api/v1/auth/logout", logout),
            Endpoint(.get, "/api/v1/me", me),
        ]
    }

    struct RegisterRequest: Decodable {
        let email: String?
        let password: String?
        let displayName: String?
        let phone: String?
    }

    struct LoginRequest: Decodable {
        let email: String?
        let password: String?
        /// Required once an administrator has reset the account's password: the password chosen now.
        let newPassword: String?
        /// Required once a second factor is enrolled: the authenticator's code, or a recovery code.
        let code: String?
    }

    struct LoginResponse: Encodable {
        let token: String
        let expiresAt: Date
        let account: AccountResponse
    }

    struct ConfirmRegistrationRequest: Decodable {
        let token: String?
        /// The password chosen when registering.
        let password: String?
    }

    struct RegistrationResponse: Encodable, Sendable {
        let status: String
    }

    /// Answers 202 whether the address is new or taken (`Registration`).
    @Sendable func register(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<RegistrationResponse> {
        try Policy.authorize(context.principal, .register)
        let body = try await request.decodeJSON(RegisterRequest.self, limit: configuration.maxJSONBodyBytes)
        try await registration.start(
            .init(email: body.email, password: body.password, displayName: body.displayName, phone: body.phone),
            language: Language.negotiate(acceptLanguage: request.headers[.acceptLanguage]), context: context)
        return JSONResponse(status: .accepted, body: RegistrationResponse(status: "check_your_mail"))
    }

    /// The link of the verification mail: creates the account.
    @Sendable func confirmRegistration(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<AccountResponse> {
        let body = try await request.decodeJSON(ConfirmRegistrationRequest.self, limit: configuration.maxJSONBodyBytes)
        return JSONResponse(status: .created, body: AccountResponse(try await registration.confirm(token: body.token, password: body.password, context: context)))
    }

    @Sendable func login(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<LoginResponse> {
        try Policy.authorize(context.principal, .login)
        let body = try await request.decodeJSON(LoginRequest.self, limit: configuration.maxJSONBodyBytes)
        let session = try await SignIn(database: database, hasher: hasher, configuration: configuration, decoyHash: decoyHash)(
            .init(email: body.email ?? "", password: body.password ?? "", newPassword: body.newPassword, code: body.code,
                  client: SignIn.clientDescription(request)),
            context: context)
        return JSONResponse(
            body: LoginResponse(token: session.token, expiresAt: session.expiresAt, account: AccountResponse(session.account)), holdsSecret: true)
    }

    @Sendable func logout(_ request: Request, context: RedressRequestContext) async throws -> Response {
        try Policy.authorize(context.principal, .logout)
        guard let digest = context.sessionDigest else { throw RedressError.unauthenticated }
        _ = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.revokeSession(digest: digest, actor: context.auditActor)
        }
        // After the commit, so that a lookup that finished before it leaves nothing cached here.
        sessions.forget(digest: digest)
        return Response(status: .noContent)
    }

    @Sendable func me(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<AccountResponse> {
        try Policy.authorize(context.principal, .readOwnAccount)
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        let account = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.account(id: actor.accountID)
        }
        guard let account else { throw RedressError.notFound }
        return JSONResponse(body: AccountResponse(account))
    }
}
