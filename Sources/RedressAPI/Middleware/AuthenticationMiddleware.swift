import Crypto
import Foundation
import Hummingbird
import Logging
import RedressCore
import RedressStore

/// Turns `Authorization: Bearer <token>` into the principal of the request. No header: anonymous.
/// A header that is not a valid, unexpired, unrevoked token: 401 — never a silent downgrade to anonymous.
/// A role that must sign in with a second factor, in a session opened without one, may only see to its
/// account and enrol, and sign out: 403 `second_factor_enrolment_required` elsewhere.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = RedressRequestContext
    let database: Database
    let sessions: SessionCache
    let idleTimeout: Duration
    let secondFactorRoles: Set<Role>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // `/metrics` has a bearer token of its own (MetricsController), not an account's.
        guard let header = request.headers[.authorization], request.uri.path != "/metrics" else {
            return try await next(request, context)
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", (20...200).contains(parts[1].count) else {
            throw RedressError(.unauthenticated, detail: "Use Authorization: Bearer <token>.")
        }
        let digest = Array(SHA256.hash(data: Data(parts[1].utf8)))
        let session: AuthenticatedSession
        if let cached = sessions.session(digest: digest, now: database.clock.now()) {
            session = cached
        } else {
            let generation = sessions.generation
            let identity = DatabaseIdentity(role: "anonymous", sessionDigestHex: digest.hexString)
            let found = try await database.transaction(as: identity, origin: context.origin) { transaction in
                try await transaction.session(
                    digest: digest, idleSince: transaction.now.addingTimeInterval(-Double(idleTimeout.components.seconds)))
            }
            guard let found else {
                throw RedressError(.unauthenticated, detail: "The token is invalid, expired or revoked.")
            }
            sessions.remember(found, digest: digest, now: database.clock.now(), generation: generation)
            session = found
        }
        if !session.secondFactor, secondFactorRoles.contains(session.actor.role), !Self.mayEnrolOnly(request.method, request.uri.path) {
            throw RedressError(.secondFactorEnrolmentRequired, detail: "Enrol a second factor: POST /api/v1/me/second-factor.")
        }
        var context = context
        context.principal = .account(session.actor)
        context.sessionDigest = digest
        context.facts.accountID = session.actor.accountID
        context.logger[metadataKey: "account_id"] = .string(session.actor.accountID.uuidString.lowercased())
        return try await next(request, context)
    }

    /// What a session without its required second factor may still do: read its account, enrol, sign
    /// out. Nothing else of its own account (a password change, ending sessions, export, erasure): a
    /// password-only session is what a thief holding the password has.
    static func mayEnrolOnly(_ method: HTTPRequest.Method, _ path: String) -> Bool {
        switch (method, path) {
        case (.get, "/api/v1/me"), (.head, "/api/v1/me"), (.post, "/api/v1/me/second-factor"), (.post, "/api/v1/me/second-factor/confirm"),
            (.post, "/api/v1/auth/logout"):
            true
        default:
            false
        }
    }
}
