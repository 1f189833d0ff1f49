import Crypto
import Foundation
import Hummingbird
import Logging
import RedressCore
import RedressStore

/// Turns `Authorization: Bearer <token>` (or, on the console's pages, its session cookie) into the
/// principal of the request. No header: anonymous.
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
        let path = request.uri.path
        // `/metrics` has a bearer token of its own (MetricsController), not an account's.
        if let header = request.headers[.authorization], path != "/metrics" {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer", (20...200).contains(parts[1].count) else {
                throw RedressError(.unauthenticated, detail: "Use Authorization: Bearer <token>.")
            }
            return try await next(request, try await authenticated(String(parts[1]), request: request, context: context))
        }
        // The console's pages read its session cookie (and only they: the API never does). A cookie
        // that no longer opens a session is no error: the page asks to sign in again.
        if ConsoleSecurity.serves(path), let token = ConsoleSecurity.cookie(ConsoleSecurity.sessionCookie, in: request) {
            let signedIn: Context
            do {
                signedIn = try await authenticated(token, request: request, context: context)
            } catch let error as RedressError where error.code == .unauthenticated {
                return try await next(request, context)
            }
            return try await next(request, signedIn)
        }
        return try await next(request, context)
    }

    /// The context of a request made with `token`: 401 unless it opens a valid session.
    func authenticated(_ token: String, request: Request, context: Context) async throws -> Context {
        let digest = Array(SHA256.hash(data: Data(token.utf8)))
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
        return context
    }

    /// What a session without its required second factor may still do: read its account, enrol, sign
    /// out. Nothing else of its own account (a password change, ending sessions, export, erasure): a
    /// password-only session is what a thief holding the password has.
    static func mayEnrolOnly(_ method: HTTPRequest.Method, _ path: String) -> Bool {
        switch (method, path) {
        case (.get, "/api/v1/me"), (.head, "/api/v1/me"), (.post, "/api/v1/me/second-factor"), (.post, "/api/v1/me/second-factor/confirm"),
            (.post, "/api/v1/auth/logout"), (.post, "/console/sign-out"), (.get, "/console/second-factor"), (.head, "/console/second-factor"),
            (.post, "/console/second-factor"), (.post, "/console/second-factor/confirm"), (.get, "/console/static/console.css"):
            true
        default:
            false
        }
    }
}
