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

    /// Starting needs the password (checked under the sign-in throttle): a stolen token must not be
    /// enough to tie the account to the thief's authenticator.
    @Sendable func enrol(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<EnrolmentResponse> {
        try Policy.authorize(context.principal, .readOwnAccount)
        guard let actor = context.principal.actor else { throw RedressError.unauthenticated }
        let body = try await request.decodeJSON(EnrolRequest.self, limit: configuration.maxJSONBodyBytes)
        let password = body.password ?? ""
        var fields = FieldValidator()
        if password.isEmpty { fields.fail("password", "required") }
        if password.count > PasswordRules.maximumLength { fields.fail("password", "too_long") }
        try fields.check()
        let account = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.account(id: actor.accountID)
        }
        guard let account else { throw RedressError.unauthenticated }
        if account.secondFactorEnabled {
            throw RedressError(.conflict, detail: "A second factor is enrolled: turn it off first (DELETE /api/v1/me/second-factor).")
        }
        guard try await throttled(account, context).password(password, hasher: hasher) != nil else { throw RedressError.validation([.init(field: "password", reason: "incorrect")]) }
        let secret = SecondFactor.newSecret()
        let sealed = try database.keys.seal(Array(secret.utf8))
        try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.beginSecondFactorEnrolment(accountID: account.id, sealedSecret: sealed, actor: context.auditActor)
        }
        let uri = SecondFactor.authenticatorURI(secret: secret, email: account.email)
        guard let symbol = QRCode.encode(Array(uri.utf8), correction: .medium) else { throw RedressError(.internalError) }
        return JSONResponse(
            status: .created, body: EnrolmentResponse(secret: SecondFactor.manualKey(secret: secret), otpauthURI: uri, qrSVG: symbol.svg()),
            holdsSecret: true)
    }

    /// The first code proves the authenticator holds the secret: the second factor is on, this
    /// session counts as opened with it, every other session ends (any opened without it), and ten
    /// recovery codes are shown, once.
    @Sendable func confirm(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<RecoveryCodesResponse> {
        let (actor, digest, account, code) = try await caller(request, context)
        let recovery = SecondFactor.newRecoveryCodes(accountID: actor.accountID, keys: database.keys)
        let confirmed = try await throttled(account, context).run {
            try await database.transaction(as: context.identity, origin: context.origin) { transaction in
                guard let stored = try await transaction.secondFactor(accountID: actor.accountID) else {
                    throw RedressError(.conflict, detail: "Nothing to confirm: enrol first (POST /api/v1/me/second-factor).")
                }
                if stored.confirmed { throw RedressError(.conflict, detail: "The second factor is already confirmed.") }
                guard let step = try Self.step(code, actor.accountID, stored, database.keys, configuration.clock.now(), context),
                    try await transaction.consumeSecondFactorStep(accountID: actor.accountID, step: step)
                else { return false }
                guard try await transaction.confirmSecondFactor(
                    accountID: actor.accountID, sealedSecret: stored.sealedSecret, recoveryCodeDigests: recovery.digests, actor: context.auditActor)
                else { throw RedressError(.conflict, detail: "The enrolment changed meanwhile: start again.") }
                try await transaction.markSessionSecondFactor(digest: digest, accountID: actor.accountID)
                _ = try await transaction.revokeOtherSessions(keeping: digest, actor: context.auditActor)
                return true
            }
        }
        guard confirmed else { throw RedressError(.invalidSecondFactor) }
        sessions.forget(accountID: actor.accountID)
        return JSONResponse(body: RecoveryCodesResponse(recoveryCodes: recovery.codes), holdsSecret: true)
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
        var fields = FieldValidator()
        let code = (body.code ?? "").trimmingCharacters(in: .whitespaces)
        if code.isEmpty { fields.fail("code", "required") } else if code.count > 32 { fields.fail("code", "too_long") }
        try fields.check()
        let account = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.account(id: actor.accountID)
        }
        guard let account else { throw RedressError.unauthenticated }
        return (actor, digest, account, code)
    }

    private func throttled(_ account: AccountRecord, _ context: RedressRequestContext) -> ThrottledCheck {
        ThrottledCheck(database: database, throttle: configuration.loginThrottle, email: account.email, accountID: account.id, origin: context.origin)
    }

    /// Whether `code` is a current code (or an unused recovery code) of the caller's confirmed second factor, spending it.
    private func proven(_ code: String, account: AccountRecord, _ context: RedressRequestContext) async throws -> Bool {
        try await throttled(account, context).run {
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

    private static func step(
        _ code: String, _ accountID: UUID, _ stored: StoredSecondFactor, _ keys: Keyring, _ now: Date, _ context: RedressRequestContext
    ) throws -> Int64? {
        guard case .step(let step)? = try SecondFactorProof(
            code: code, accountID: accountID, sealedSecret: stored.sealedSecret, failures: stored.failures, keys: keys, now: now,
            logger: context.logger)
        else { return nil }
        return step
    }
}
