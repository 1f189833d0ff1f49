import Crypto
import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// Signing in with a password (and the second factor once enrolled), for the API and the console
/// alike: throttled per address and account, the same time spent on an unknown address, a forced
/// password change carried out, and a new session stored as its digest.
struct SignIn {
    let database: Database
    let hasher: PasswordHasher
    let configuration: APIConfiguration
    /// A hash to verify against when the e-mail is unknown, so that both failures take the same time.
    let decoyHash: String

    struct Attempt {
        var email: String
        var password: String
        /// Required once an administrator has reset the account's password: the password chosen now.
        var newPassword: String?
        /// Required once a second factor is enrolled: the authenticator's code, or a recovery code.
        var code: String?
        /// The client's description of itself (its User-Agent), as its owner will see it among his sessions.
        var client: String?
    }

    struct Session {
        let token: String
        let expiresAt: Date
        let account: AccountRecord
        /// Whether the second factor was proven (an account without one enrolled signs in with its password).
        let secondFactor: Bool
    }

    func callAsFunction(_ attempt: Attempt, context: RedressRequestContext) async throws -> Session {
        try Policy.authorize(context.principal, .login)
        let rawEmail = attempt.email, password = attempt.password
        var fields = FieldValidator()
        if rawEmail.isEmpty { fields.fail("email", "required") }
        if rawEmail.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { fields.fail("email", "control_characters") }
        if password.isEmpty { fields.fail("password", "required") }
        if password.count > PasswordRules.maximumLength { fields.fail("password", "too_long") }
        if let newPassword = attempt.newPassword, newPassword.count > PasswordRules.maximumLength { fields.fail("new_password", "too_long") }
        if let code = attempt.code, code.count > 32 { fields.fail("code", "too_long") }
        try fields.check()
        // An address that cannot exist fails like a wrong password, without telling which.
        let email = EmailAddress.normalize(rawEmail) ?? rawEmail.lowercased()
        let throttle = configuration.loginThrottle
        let lookup = DatabaseIdentity(role: "anonymous", authEmail: email)
        // The attempt is reserved (and counted) before the password is checked, so that guesses
        // arriving together cannot all pass the throttle.
        let (candidate, reserved) = try await database.transaction(as: lookup, origin: context.origin) { transaction in
            let reserved = try await transaction.reserveLoginAttempt(throttle, email: email)
            return (try await transaction.loginCandidate(email: email), reserved)
        }
        let matches: Bool
        do {
            matches = try await hasher.verify(password, hash: candidate?.passwordHash ?? decoyHash)
        } catch {
            // Not checked (the hashing is full: 503): no failure to count against anyone.
            try? await database.transaction(as: lookup, origin: context.origin) { try await $0.withdrawLoginAttempt(reserved) }
            throw error
        }
        guard let candidate, matches else {
            if reserved.locksIfFailed, let accountID = candidate?.account.id {
                try await database.transaction(as: lookup, origin: context.origin) { transaction in
                    try await transaction.recordLoginLockout(accountID: accountID, throttle: throttle)
                }
            }
            throw RedressError(.invalidCredentials)
        }
        // The second factor: a wrong code counts as a failed sign-in (throttled and locking like a
        // wrong password); no code at all is no guess, and costs nothing.
        var proof: SecondFactorProof? = nil
        if let sealed = candidate.sealedSecondFactor {
            guard let code = attempt.code, !code.isEmpty else {
                try await database.transaction(as: lookup, origin: context.origin) { try await $0.withdrawLoginAttempt(reserved) }
                throw RedressError(.secondFactorRequired, detail: "Sign in again with code set to your authenticator's code or a recovery code.")
            }
            proof = try SecondFactorProof(
                code: code, accountID: candidate.account.id, sealedSecret: sealed, failures: candidate.secondFactorFailures,
                keys: database.keys, now: configuration.clock.now(), logger: context.logger)
            if proof == nil {
                let owner = DatabaseIdentity(
                    role: candidate.account.role.rawValue, accountID: candidate.account.id, organizationID: candidate.account.organizationID)
                try await database.transaction(as: owner, origin: context.origin) { transaction in
                    try await transaction.countSecondFactorFailure(accountID: candidate.account.id)
                }
                if reserved.locksIfFailed {
                    try await database.transaction(as: lookup, origin: context.origin) { transaction in
                        try await transaction.recordLoginLockout(accountID: candidate.account.id, throttle: throttle)
                    }
                }
                if candidate.secondFactorFailures + 1 >= SecondFactor.failureLimit {
                    throw RedressError(.invalidSecondFactor, detail: "Too many wrong codes: sign in with a recovery code.")
                }
                throw RedressError(.invalidSecondFactor)
            }
        }
        var account = candidate.account
        // The password was right: what stops the sign-in now is no failed guess, and costs no attempt.
        func refuse(_ error: RedressError) async throws -> Never {
            try? await database.transaction(as: lookup, origin: context.origin) { try await $0.withdrawLoginAttempt(reserved) }
            throw error
        }
        // Only now, with the password right: telling a guesser the account is disabled would help him.
        if account.disabledAt != nil { try await refuse(RedressError(.accountDisabled)) }
        var newHash: String? = nil
        if account.mustChangePassword {
            guard let newPassword = attempt.newPassword else {
                try await refuse(RedressError(.passwordChangeRequired, detail: "Sign in again with new_password set to the password you choose."))
            }
            var choice = FieldValidator()
            let chosen = choice.password(newPassword, email: email, field: "new_password")
            if chosen == password { choice.fail("new_password", "same_as_current") }
            if !choice.invalidFields.isEmpty { try await refuse(RedressError.validation(choice.invalidFields)) }
            newHash = try await hasher.hash(chosen)
            account.mustChangePassword = false
        }
        let token = SecureRandom.token(bytes: 32)
        let digest = Array(SHA256.hash(data: Data(token.utf8)))
        let expiresAt = configuration.clock.now().addingTimeInterval(Double(configuration.sessionLifetime.components.seconds))
        let actor = AuditActor(accountID: account.id, role: account.role.rawValue, organizationID: account.organizationID)
        let identity = DatabaseIdentity(role: account.role.rawValue, accountID: account.id, organizationID: account.organizationID, authEmail: email)
        let client = SessionClient(description: attempt.client, address: context.origin.clientAddress.map { String($0.prefix(64)) })
        try await database.transaction(as: identity, origin: context.origin) { transaction in
            try await transaction.releaseLoginAttempt(reserved, email: email)
            guard try await transaction.signInStillValid(candidate) else { throw RedressError(.invalidCredentials) }
            if let newHash {
                try await transaction.changeOwnPassword(accountID: account.id, newHash: newHash, verifiedHash: candidate.passwordHash, actor: actor)
            }
            // Spent here, in the transaction that opens the session: a code that was already used
            // rolls the sign-in back, and the attempt stays counted as a failure.
            if let proof, !(try await proof.spend(accountID: account.id, transaction)) { throw RedressError(.invalidSecondFactor) }
            try await transaction.insertSession(
                digest: digest, accountID: account.id, expiresAt: expiresAt, client: client, secondFactor: proof != nil, actor: actor)
        }
        return Session(token: token, expiresAt: expiresAt, account: account, secondFactor: proof != nil)
    }

    /// The client's own description of itself (its User-Agent), as its owner will see it in his list
    /// of sessions: printable characters only, at most 200 code points (as the database counts).
    static func clientDescription(_ request: Request) -> String? {
        guard let agent = request.headers[.userAgent] else { return nil }
        let printable = agent.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F && $0.value != 0xFFFD }
        let description = String(String.UnicodeScalarView(printable.prefix(200))).trimmingCharacters(in: .whitespaces)
        return description.isEmpty ? nil : description
    }
}
