import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// A person's second factor: enrol (a secret shown once, as an `otpauth://` URI and a QR code),
/// confirm with a first code (ten recovery codes shown once), turn off, new recovery codes. Every code
/// is checked under the sign-in throttle and works once.
struct SecondFactorController {
    let database: Database
    let hasher: PasswordHasher
    let configuration: APIConfiguration
    let sessions: SessionCache

    var endpoints: [Endpoint] {
        [
            Endpoint(.post, "/api/v1/me/second-factor", enrol),
            Endpoint(.post, "/api/v1/me/second-factor/confirm", confirm),
            Endpoint(.delete, "/api/v1/me/second-factor", remove),
            Endpoint(.post, "/api/v1/me/second-factor/recovery-codes", renewRecoveryCodes),
        ]
    }

    struct EnrolmentResponse: Encodable, Sendable {
        /// For typing into an authenticator by hand (base32).
        let secret: String
        let otpauthURI: String
        /// The URI as a QR code, a standalone SVG document.
        let qrSVG: String

        enum CodingKeys: String, CodingKey {
            case secret
            case otpauthURI = "otpauth_uri"
            case qrSVG = "qr_svg"
        }
    }

    struct RecoveryCodesResponse: Encodable, Sendable {
        let recoveryCodes: [String]
    }

    struct CodeRequest: Decodable {
        let code: String?
    }

    struct EnrolRequest: Decodable {
        let password: String?
    }

    var enrolment: SecondFactorEnrolment {
        SecondFactorEnrolment(database: database, hasher: hasher, configuration: configuration, sessions: sessions)
    }

    /// Starting needs the password (`SecondFactorEnrolment`).
    @Sendable func enrol(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<EnrolmentResponse> {
        try Policy.authorize(context.principal, .readOwnAccount)
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        let body = try await request.decodeJSON(EnrolRequest.self, limit: configuration.maxJSONBodyBytes)
        let started = try await enrolment.start(password: body.password ?? "", actor: actor, context: context)
        return JSONResponse(
            status: .created, body: EnrolmentResponse(secret: started.manualKey, otpauthURI: started.otpauthURI, qrSVG: started.qrSVG),
            holdsSecret: true)
    }

    /// The first code proves the authenticator holds the secret (`SecondFactorEnrolment`).
    @Sendable func confirm(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<RecoveryCodesResponse> {
        try Policy.authorize(context.principal, .readOwnAccount)
        guard let actor = context.principal.actor, let digest = context.sessionDigest else { throw RedressError.unauthenticated }
        let body = try await request.decodeJSON(CodeRequest.self, limit: configuration.maxJSONBodyBytes)
        let codes = try await enrolment.confirm(code: body.code ?? "", actor: actor, session: digest, context: context)
        return JSONResponse(body: RecoveryCodesResponse(recoveryCodes: codes), holdsSecret: true)
    }

    /// Off, with a current code; not for a role that must have it.
    @Sendable func remove(_ request: Request, context: RedressRequestContext) async throws -> Response {
        let (actor, _, account, code) = try await caller(request, context)
        if configuration.secondFactorRoles.contains(actor.role) {
            throw RedressError(.forbidden, detail: "Your role must sign in with a second factor.")
        }
        guard try await proven(code, account: account, context) else { throw RedressError(.invalidSecondFactor) }
        try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.removeSecondFactor(accountID: actor.accountID, chain: AuditChain.account(actor.accountID), actor: context.auditActor)
        }
        return Response(status: .noContent)
    }

    /// Ten new recovery codes in place of the old ones, with a current code.
    @Sendable func renewRecoveryCodes(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<RecoveryCodesResponse> {
        let (actor, _, account, code) = try await caller(request, context)
        guard try await proven(code, account: account, context) else { throw RedressError(.invalidSecondFactor) }
        let recovery = SecondFactor.newRecoveryCodes(accountID: actor.accountID, keys: database.keys)
        try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.replaceRecoveryCodes(accountID: actor.accountID, digests: recovery.digests)
        }
        return JSONResponse(body: RecoveryCodesResponse(recoveryCodes: recovery.codes), holdsSecret: true)
    }

    /// The caller, his session, his account and the code his request carries.
    private func caller(
        _ request: Request, _ context: RedressRequestContext
    ) async throws -> (Actor, [UInt8], AccountRecord, String) {
        try Policy.authorize(context.principal, .readOwnAccount)
        guard let actor = context.principal.actor, let digest = context.sessionDigest else { throw RedressError.unauthenticated }
        let body = try await request.decodeJSON(CodeRequest.self, limit: configuration.maxJSONBodyBytes)
        let code = try SecondFactorEnrolment.code(body.code ?? "")
        return (actor, digest, try await enrolment.account(actor, context), code)
    }

    /// Whether `code` is a current code (or an unused recovery code) of the caller's confirmed second factor, spending it.
    private func proven(_ code: String, account: AccountRecord, _ context: RedressRequestContext) async throws -> Bool {
        try await enrolment.throttled(account, context).run {
            try await database.transaction(as: context.identity, origin: context.origin) { transaction in
                guard let stored = try await transaction.secondFactor(accountID: account.id), stored.confirmed else {
                    throw RedressError(.conflict, detail: "No second factor is enrolled.")
                }
                guard let proof = try SecondFactorProof(
                    code: code, accountID: account.id, sealedSecret: stored.sealedSecret, failures: stored.failures, keys: database.keys,
                    now: configuration.clock.now(), logger: context.logger)
                else {
                    try await transaction.countSecondFactorFailure(accountID: account.id)
                    return false
                }
                return try await proof.spend(accountID: account.id, transaction)
            }
        }
    }
}
