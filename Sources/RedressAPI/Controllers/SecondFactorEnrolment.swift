import Foundation
import Hummingbird
import Logging
import RedressCore
import RedressStore

/// Enrolling a second factor, for the API and the console alike: starting needs the password (checked
/// under the sign-in throttle: a stolen session must not be enough to tie the account to the thief's
/// authenticator); the first code confirms it, marks this session as opened with it, ends every other
/// session and gives ten recovery codes, shown once.
struct SecondFactorEnrolment {
    let database: Database
    let hasher: PasswordHasher
    let configuration: APIConfiguration
    let sessions: SessionCache

    struct Started {
        /// For typing into an authenticator by hand (base32).
        let manualKey: String
        let otpauthURI: String
        /// The URI as a QR code, a standalone SVG document.
        let qrSVG: String
    }

    func start(password: String, actor: Actor, context: RedressRequestContext) async throws -> Started {
        var fields = FieldValidator()
        if password.isEmpty { fields.fail("password", "required") }
        if password.count > PasswordRules.maximumLength { fields.fail("password", "too_long") }
        try fields.check()
        let account = try await account(actor, context)
        if account.secondFactorEnabled {
            throw RedressError(.conflict, detail: "A second factor is enrolled: turn it off first (DELETE /api/v1/me/second-factor).")
        }
        guard try await throttled(account, context).password(password, hasher: hasher) != nil else {
            throw RedressError.validation([.init(field: "password", reason: "incorrect")])
        }
        let secret = SecondFactor.newSecret()
        let sealed = try database.keys.seal(Array(secret.utf8))
        try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.beginSecondFactorEnrolment(accountID: account.id, sealedSecret: sealed, actor: context.auditActor)
        }
        let uri = SecondFactor.authenticatorURI(secret: secret, email: account.email)
        guard let symbol = QRCode.encode(Array(uri.utf8), correction: .medium) else { throw RedressError(.internalError) }
        return Started(manualKey: SecondFactor.manualKey(secret: secret), otpauthURI: uri, qrSVG: symbol.svg())
    }

    /// The recovery codes, once the code proves the authenticator holds the secret.
    func confirm(code rawCode: String, actor: Actor, session digest: [UInt8], context: RedressRequestContext) async throws -> [String] {
        let code = try Self.code(rawCode)
        let account = try await account(actor, context)
        let recovery = SecondFactor.newRecoveryCodes(accountID: actor.accountID, keys: database.keys)
        let keys = database.keys, now = configuration.clock.now()
        let confirmed = try await throttled(account, context).run {
            try await database.transaction(as: context.identity, origin: context.origin) { transaction in
                guard let stored = try await transaction.secondFactor(accountID: actor.accountID) else {
                    throw RedressError(.conflict, detail: "Nothing to confirm: enrol first (POST /api/v1/me/second-factor).")
                }
                if stored.confirmed { throw RedressError(.conflict, detail: "The second factor is already confirmed.") }
                guard let step = try Self.step(code, actor.accountID, stored, keys, now, context),
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
        // The owner hears of it (in the language he set it up in). The second factor is on whatever
        // happens to the mail: the recovery codes must reach him, so a mail that cannot be queued is
        // logged, not an error.
        let text = MailTemplates.secondFactorEnrolled(language: context.language == .en ? "en" : "zh-CN")
        do {
            try await database.transaction(as: DatabaseIdentity(role: "system"), origin: context.origin) { transaction in
                try await transaction.queueMail(QueuedMail(accountID: account.id, to: account.email, subject: text.subject, body: text.body, category: "account"))
            }
        } catch {
            context.logger.error("the mail about a new second factor was not queued", metadata: ["error": "\(String(reflecting: error))"])
        }
        return recovery.codes
    }

    /// A code as typed: required, at most 32 characters.
    static func code(_ raw: String) throws(RedressError) -> String {
        var fields = FieldValidator()
        let code = raw.trimmingCharacters(in: .whitespaces)
        if code.isEmpty { fields.fail("code", "required") } else if code.count > 32 { fields.fail("code", "too_long") }
        try fields.check()
        return code
    }

    func account(_ actor: Actor, _ context: RedressRequestContext) async throws -> AccountRecord {
        let account = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.account(id: actor.accountID)
        }
        guard let account else { throw RedressError.unauthenticated }
        return account
    }

    func throttled(_ account: AccountRecord, _ context: RedressRequestContext) -> ThrottledCheck {
        ThrottledCheck(database: database, throttle: configuration.loginThrottle, email: account.email, accountID: account.id, origin: context.origin)
    }

    static func step(
        _ code: String, _ accountID: UUID, _ stored: StoredSecondFactor, _ keys: Keyring, _ now: Date, _ context: RedressRequestContext
    ) throws -> Int64? {
        guard case .step(let step)? = try SecondFactorProof(
            code: code, accountID: accountID, sealedSecret: stored.sealedSecret, failures: stored.failures, keys: keys, now: now,
            logger: context.logger)
        else { return nil }
        return step
    }
}
