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
    }

    struct RegistrationResponse: Encodable, Sendable {
        let status: String
    }

    /// Answers 202 whether the address is new or taken: a new one gets a link that creates the
    /// account, a taken one's owner a mail saying so. Both cost the same hash.
    @Sendable func register(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<RegistrationResponse> {
        try Policy.authorize(context.principal, .register)
        let body = try await request.decodeJSON(RegisterRequest.self, limit: configuration.maxJSONBodyBytes)
        var fields = FieldValidator()
        let email = fields.email(body.email)
        let password = fields.password(body.password, email: email)
        let displayName = fields.text(body.displayName, field: "display_name", maxLength: 100)
        let phone = fields.phone(body.phone)
        try fields.check()
        // Before the bcrypt: registration is open to anyone, and each one costs a hash.
        let throttle = configuration.loginThrottle
        try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.reserveRegistration(throttle)
        }
        let hash = try await hasher.hash(password)
        let mail = configuration.mail
        try await database.transaction(as: DatabaseIdentity(role: "system"), origin: context.origin) { transaction in
            let pending = NewAccount(email: email, displayName: displayName, phone: phone, passwordHash: hash, role: .consumer, organizationID: nil)
            let text: MailTemplates.Text, accountID: UUID?
            switch try await transaction.registerPending(pending) {
            case .verify(let token):
                // Written in the language the request asked for: there is no account to ask yet.
                let language = Language.negotiate(acceptLanguage: request.headers[.acceptLanguage]) == .en ? "en" : "zh-CN"
                text = MailTemplates.verification(link: "\(mail.publicURL)/verify-email?token=\(token)", language: language)
                accountID = nil
            case .taken(let id, let language):
                text = MailTemplates.addressTaken(link: "\(mail.publicURL)/reset-password", language: language)
                accountID = id
            case .quiet:
                return
            }
            try await transaction.queueMail(QueuedMail(accountID: accountID, to: email, subject: text.subject, body: text.body, category: "registration"))
        }
        return JSONResponse(status: .accepted, body: RegistrationResponse(status: "check_your_mail"))
    }

    /// The link of the verification mail: creates the account.
    @Sendable func confirmRegistration(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<AccountResponse> {
        let body = try await request.decodeJSON(ConfirmRegistrationRequest.self, limit: configuration.maxJSONBodyBytes)
        guard let token = body.token, !token.isEmpty else { throw RedressError.validation([.init(field: "token", reason: "required")]) }
        guard token.count <= 100 else { throw RedressError.validation([.init(field: "token", reason: "invalid_or_expired")]) }
        let account = try await database.transaction(as: DatabaseIdentity(role: "system"), origin: context.origin) { transaction in
            try await transaction.completeRegistration(token: token)
        }
        guard let account else { throw RedressError.validation([.init(field: "token", reason: "invalid_or_expired")]) }
        return JSONResponse(status: .created, body: AccountResponse(account))
    }

    @Sendable func login(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<LoginResponse> {
        try Policy.authorize(context.principal, .login)
        let body = try await request.decodeJSON(LoginRequest.self, limit: configuration.maxJSONBodyBytes)
        let rawEmail = body.email ?? "", password = body.password ?? ""
        var fields = FieldValidator()
        if rawEmail.isEmpty { fields.fail("email", "required") }
        if rawEmail.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { fields.fail("email", "control_characters") }
        if password.isEmpty { fields.fail("password", "required") }
        if password.count > PasswordRules.maximumLength { fields.fail("password", "too_long") }
        if let newPassword = body.newPassword, newPassword.count > PasswordRules.maximumLength { fields.fail("new_password", "too_long") }
        if let code = body.code, code.count > 32 { fields.fail("code", "too_long") }
        try fields.check()
        // An address that cannot exist fails like a wrong password, without telling which.
        let email = EmailAddress.normalize(rawEmail) ?? rawEmail.lowercased()
        let throttle = configuration.loginThrottle
        let lookup = DatabaseIdentity(role: "anonymous", authEmail: email)
        // The attempt is reserved (and counted) before the password is checked, so that guesses
        // arriving together cannot all pass the throttle.
        let (candidate, attempt) = try await database.transaction(as: lookup, origin: context.origin) { transaction in
            let attempt = try await transaction.reserveLoginAttempt(throttle, email: email)
            return (try await transaction.loginCandidate(email: email), attempt)
        }
        let matches: Bool
        do {
            matches = try await hasher.verify(password, hash: candidate?.passwordHash ?? decoyHash)
        } catch {
            // Not checked (the hashing is full: 503): no failure to count against anyone.
            try? await database.transaction(as: lookup, origin: context.origin) { try await $0.withdrawLoginAttempt(attempt) }
            throw error
        }
        guard let candidate, matches else {
            if attempt.locksIfFailed, let accountID = candidate?.account.id {
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
            guard let code = body.code, !code.isEmpty else {
                try await database.transaction(as: lookup, origin: context.origin) { try await $0.withdrawLoginAttempt(attempt) }
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
                if attempt.locksIfFailed {
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
            try? await database.transaction(as: lookup, origin: context.origin) { try await $0.withdrawLoginAttempt(attempt) }
            throw error
        }
        // Only now, with the password right: telling a guesser the account is disabled would help him.
        if account.disabledAt != nil { try await refuse(RedressError(.accountDisabled)) }
        var newHash: String? = nil
        if account.mustChangePassword {
            guard let newPassword = body.newPassword else {
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
        let client = SessionClient(description: Self.clientDescription(request), address: context.origin.clientAddress.map { String($0.prefix(64)) })
        try await database.transaction(as: identity, origin: context.origin) { transaction in
            try await transaction.releaseLoginAttempt(attempt, email: email)
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
        return JSONResponse(body: LoginResponse(token: token, expiresAt: expiresAt, account: AccountResponse(account)), holdsSecret: true)
    }

    /// The client's own description of itself (its User-Agent), as its owner will see it in his list
    /// of sessions: printable characters only, at most 200 code points (as the database counts).
    static func clientDescription(_ request: Request) -> String? {
        guard let agent = request.headers[.userAgent] else { return nil }
        let printable = agent.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F && $0.value != 0xFFFD }
        let description = String(String.UnicodeScalarView(printable.prefix(200))).trimmingCharacters(in: .whitespaces)
        return description.isEmpty ? nil : description
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
