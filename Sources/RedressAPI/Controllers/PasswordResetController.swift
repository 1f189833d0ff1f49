import Foundation
import Hummingbird
import Logging
import RedressCore
import RedressStore

/// A forgotten password: a link mailed to the account's address, used once within 30 minutes. The
/// request answers the same whether or not the address has an account, so it tells nobody which
/// addresses are registered. A reset keeps the second factor: a mailbox alone does not open a
/// privileged account.
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

    @Sendable func request(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<StatusResponse> {
        let body = try await request.decodeJSON(ResetRequest.self, limit: configuration.maxJSONBodyBytes)
        var fields = FieldValidator()
        let email = fields.email(body.email)
        try fields.check()
        // Each request may send a mail to any address: as many per client address as registrations.
        try await database.transaction(as: context.identity, origin: context.origin) { try await $0.reserveRegistration(configuration.loginThrottle) }
        // The answer does not wait for the work: an address with an account (a token and a mail
        // written) must not answer slower than one without (nothing written).
        let mail = configuration.mail, database = self.database, origin = context.origin, logger = context.logger
        Task {
            do {
                try await database.transaction(as: DatabaseIdentity(role: "system"), origin: origin) { transaction in
                    guard let (token, target) = try await transaction.makePasswordResetToken(email: email) else { return }
                    let link = "\(mail.publicURL)/reset-password?token=\(token)"
                    let text = MailTemplates.passwordReset(link: link, minutes: Int(Transaction.resetLinkLifetime / 60), language: target.language)
                    try await transaction.queueMail(
                        QueuedMail(accountID: target.accountID, to: target.email, subject: text.subject, body: text.body, category: "account"))
                }
            } catch {
                logger.error("a password reset link was not made", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
        return JSONResponse(status: .accepted, body: StatusResponse(status: "check_your_mail"))
    }

    @Sendable func confirm(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<StatusResponse> {
        let body = try await request.decodeJSON(ConfirmRequest.self, limit: configuration.maxJSONBodyBytes)
        var fields = FieldValidator()
        let token = body.token ?? ""
        if token.isEmpty { fields.fail("token", "required") } else if token.count > 100 { fields.fail("token", "invalid_or_expired") }
        if body.newPassword == nil { fields.fail("new_password", "required") }
        try fields.check()
        let system = DatabaseIdentity(role: "system")
        let target = try await database.transaction(as: system, origin: context.origin) { try await $0.passwordResetTarget(token: token) }
        guard let target else { throw RedressError.validation([.init(field: "token", reason: "invalid_or_expired")]) }
        let chosen = fields.password(body.newPassword, email: target.email, field: "new_password")
        try fields.check()
        let hash = try await hasher.hash(chosen)
        let changed = try await database.transaction(as: system, origin: context.origin) { transaction in
            try await transaction.resetPassword(token: token, target: target, newHash: hash)
        }
        guard changed else { throw RedressError.validation([.init(field: "token", reason: "invalid_or_expired")]) }
        // After the commit: this replica drops the account's cached sessions now, the others when
        // they hear the announcement.
        sessions.forget(accountID: target.accountID)
        return JSONResponse(body: StatusResponse(status: "password_changed"))
    }
}
