import Foundation
import Hummingbird
import Logging
import RedressCore
import RedressStore

/// A consumer's registration, for the API and the console alike: the address gets a link that creates
/// the account (or, when it is taken, its owner a mail saying so), and the link's token creates it.
/// Both answers look the same and cost the same hash, so registering tells nobody which addresses
/// have accounts.
struct Registration {
    let database: Database
    let hasher: PasswordHasher
    let configuration: APIConfiguration

    struct Form {
        var email: String?
        var password: String?
        var displayName: String?
        var phone: String?
    }

    /// Checks the form, then queues the mail. `language` is the mail's: there is no account to ask yet.
    func start(_ form: Form, language: Language, context: RedressRequestContext) async throws {
        try Policy.authorize(context.principal, .register)
        var fields = FieldValidator()
        let email = fields.email(form.email)
        let password = fields.password(form.password, email: email)
        let displayName = fields.text(form.displayName, field: "display_name", maxLength: 100)
        let phone = fields.phone(form.phone)
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
                text = MailTemplates.verification(
                    link: "\(mail.publicURL)/console/verify-email?token=\(token)", language: language == .en ? "en" : "zh-CN")
                accountID = nil
            case .taken(let id, let language):
                text = MailTemplates.addressTaken(link: "\(mail.publicURL)/console/reset-password", language: language)
                accountID = id
            case .quiet:
                return
            }
            try await transaction.queueMail(QueuedMail(accountID: accountID, to: email, subject: text.subject, body: text.body, category: "registration"))
        }
    }

    /// The link of the verification mail, with the password chosen when registering: creates the
    /// account. The password proves that whoever holds the link is whoever registered: without it a
    /// stranger could register someone's address with a password of his own and wait for its owner
    /// to press the mail's button (the account would then be the stranger's to sign in to). A wrong
    /// password leaves the link working.
    func confirm(token: String?, password: String?, context: RedressRequestContext) async throws -> AccountRecord {
        var fields = FieldValidator()
        let token = token ?? ""
        if token.isEmpty { fields.fail("token", "required") } else if token.count > 100 { fields.fail("token", "invalid_or_expired") }
        let password = password ?? ""
        if password.isEmpty { fields.fail("password", "required") } else if password.count > PasswordRules.maximumLength { fields.fail("password", "too_long") }
        try fields.check()
        // Before the bcrypt, as registering is: each attempt costs a hash, and a leaked link must not
        // become a way to guess its registrant's password.
        try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.reserveRegistrationConfirmation(configuration.loginThrottle)
        }
        let system = DatabaseIdentity(role: "system")
        let hash = try await database.transaction(as: system, origin: context.origin) { try await $0.pendingRegistrationHash(token: token) }
        guard let hash else { throw RedressError.validation([.init(field: "token", reason: "invalid_or_expired")]) }
        guard try await hasher.verify(password, hash: hash) else { throw RedressError.validation([.init(field: "password", reason: "incorrect")]) }
        let account = try await database.transaction(as: system, origin: context.origin) { transaction in
            try await transaction.completeRegistration(token: token)
        }
        guard let account else { throw RedressError.validation([.init(field: "token", reason: "invalid_or_expired")]) }
        return account
    }
}

/// A forgotten password, for the API and the console alike: a link mailed to the account's address,
/// used once within 30 minutes. The request answers the same whether or not the address has an
/// account. A reset keeps the second factor: a mailbox alone does not open a privileged account.
struct PasswordReset {
    let database: Database
    let hasher: PasswordHasher
    let configuration: APIConfiguration
    let sessions: SessionCache

    func request(email raw: String?, context: RedressRequestContext) async throws {
        var fields = FieldValidator()
        let email = fields.email(raw)
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
                    let link = "\(mail.publicURL)/console/reset-password?token=\(token)"
                    let text = MailTemplates.passwordReset(link: link, minutes: Int(Transaction.resetLinkLifetime / 60), language: target.language)
                    try await transaction.queueMail(
                        QueuedMail(accountID: target.accountID, to: target.email, subject: text.subject, body: text.body, category: "account"))
                }
            } catch {
                logger.error("a password reset link was not made", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    func confirm(token raw: String?, newPassword: String?, context: RedressRequestContext) async throws {
        var fields = FieldValidator()
        let token = raw ?? ""
        if token.isEmpty { fields.fail("token", "required") } else if token.count > 100 { fields.fail("token", "invalid_or_expired") }
        if newPassword == nil { fields.fail("new_password", "required") }
        try fields.check()
        let system = DatabaseIdentity(role: "system")
        let target = try await database.transaction(as: system, origin: context.origin) { try await $0.passwordResetTarget(token: token) }
        guard let target else { throw RedressError.validation([.init(field: "token", reason: "invalid_or_expired")]) }
        let chosen = fields.password(newPassword, email: target.email, field: "new_password")
        try fields.check()
        let hash = try await hasher.hash(chosen)
        let changed = try await database.transaction(as: system, origin: context.origin) { transaction in
            try await transaction.resetPassword(token: token, target: target, newHash: hash)
        }
        guard changed else { throw RedressError.validation([.init(field: "token", reason: "invalid_or_expired")]) }
        // After the commit: this replica drops the account's cached sessions now, the others when
        // they hear the announcement.
        sessions.forget(accountID: target.accountID)
    }
}
