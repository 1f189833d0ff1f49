import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// A forgotten password (`PasswordReset`): a link mailed to the account's address, used once within
/// 30 minutes.
struct PasswordResetController {
    let database: Database
    let hasher: PasswordHasher
    let configuration: APIConfiguration
    let sessions: SessionCache

    var endpoints: [Endpoint] {
        [
            Endpoint(.post, "/api/v1/auth/password-reset", request),
            Endpoint(.post, "/api/v1/auth/password-reset/confirm", confirm),
        ]
    }

    struct ResetRequest: Decodable {
        let email: String?
    }

    struct ConfirmRequest: Decodable {
        let token: String?
        let newPassword: String?
    }

    struct StatusResponse: Encodable, Sendable {
        let status: String
    }

    var reset: PasswordReset { PasswordReset(database: database, hasher: hasher, configuration: configuration, sessions: sessions) }

    @Sendable func request(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<StatusResponse> {
        let body = try await request.decodeJSON(ResetRequest.self, limit: configuration.maxJSONBodyBytes)
        try await reset.request(email: body.email, context: context)
        return JSONResponse(status: .accepted, body: StatusResponse(status: "check_your_mail"))
    }

    @Sendable func confirm(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<StatusResponse> {
        let body = try await request.decodeJSON(ConfirmRequest.self, limit: configuration.maxJSONBodyBytes)
        try await reset.confirm(token: body.token, newPassword: body.newPassword, context: context)
        return JSONResponse(body: StatusResponse(status: "password_changed"))
    }
}
