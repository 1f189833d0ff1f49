import Crypto
import Foundation
import PostgresNIO
import RedressCore

/// What a registration does, decided by the system without telling the caller.
public enum RegistrationOutcome: Sendable, Equatable {
    /// A new address: the token of its verification link.
    case verify(token: String)
    /// The address has an account: its owner is told (language of his mails).
    case taken(accountID: UUID, language: String)
    /// Too many links to this address this hour: nothing is sent.
    case quiet
}

extension Transaction {
    public static let verificationLinkLifetime: TimeInterval = 24 * 3600
    /// Mails one address gets from registrations per hour.
    public static let registrationMailsPerHour = 3

    /// As the system: records a pending registration for a new address, or names the account that
    /// has it.
    public func registerPending(_ account: NewAccount) async throws -> RegistrationOutcome {
        let existing = try await query("SELECT id, mail_language, erased_at IS NOT NULL FROM accounts WHERE email = \(account.email)")
        for try await (id, language, erased) in existing.decode((UUID, String, Bool).self) {
            if erased { return .quiet }
            let recent = try await query(
                """
                SELECT count(*) FROM mail_outbox WHERE account_id = \(id) AND category = 'registration'
                  AND created_at > \(now.addingTimeInterval(-3600))
                """)
            for try await count in recent.decode(Int.self) where count >= Self.registrationMailsPerHour { return .quiet }
            return .taken(accountID: id, language: language)
        }
        let recent = try await query(
            "SELECT count(*) FROM pending_registrations WHERE email = \(account.email) AND created_at > \(now.addingTimeInterval(-3600))")
        for try await count in recent.decode(Int.self) where count >= Self.registrationMailsPerHour { return .quiet }
        let token = SecureRandom.token(bytes: 32)
        try await query(
            """
            INSERT INTO pending_registrations (digest, email, display_name, phone, password_hash, created_at, expires_at)
            VALUES (\(PostgresByteBuffer(Self.resetDigest(token))), \(account.email), \(account.displayName), \(account.phone),
                    \(account.passwordHash), \(now), \(now.addingTimeInterval(Self.verificationLinkLifetime)))
            """)
        return .verify(token: token)
    }

    /// The password hash a pending registration was made with, while its link works (as the system):
    /// the link's holder proves he is the one who registered before the account is created.
    public func pendingRegistrationHash(token: String) async throws -> String? {
        let rows = try await query(
            """
            SELECT password_hash FROM pending_registrations
            WHERE digest = \(PostgresByteBuffer(Self.resetDigest(token))) AND expires_at > \(now)
            """)
        for try await hash in rows.decode(String.self) { return hash }
        return nil
    }

    /// Creates the account of a verified registration (as the system, then as an anonymous caller
    /// registering, as before verification existed); nil when the link no longer works or the
    /// address was taken meanwhile.
    public func completeRegistration(token: String) async throws -> AccountRecord? {
        let rows = try await query(
            """
            DELETE FROM pending_registrations WHERE digest = \(PostgresByteBuffer(Self.resetDigest(token)))
            RETURNING email, display_name, phone, password_hash, expires_at
            """)
        var pending: NewAccount?
        for try await (email, name, phone, hash, expires) in rows.decode((String, String, String?, String, Date).self) where expires > now {
            pending = NewAccount(email: email, displayName: name, phone: phone, passwordHash: hash, role: .consumer, organizationID: nil)
        }
        guard let pending else { return nil }
        // Every other pending registration of the address is spent with it, and the verification
        // mails (they belong to no account, so an erasure would not find them).
        try await query("DELETE FROM pending_registrations WHERE email = \(pending.email)")
        try await query("DELETE FROM mail_outbox WHERE to_address = \(pending.email) AND account_id IS NULL")
        try await execute(SetIdentityStatement(identity: DatabaseIdentity(role: "anonymous")))
        do {
            return try await insertAccount(pending, actor: AuditActor(.anonymous))
        } catch let error as RedressError where error.code == .emailTaken {
            return nil
        }
    }

    /// How long a sent (or dead) mail is kept: its address is personal data.
    public static let sentMailRetention: TimeInterval = 30 * 86_400

    /// As the system: deletes pending registrations and reset links a day past their expiry (their
    /// passwords' hashes and contact details with them), mails sent or given up on a month ago (a
    /// link's mail once its link expired), and webhook deliveries that ended a month ago.
    public func forgetSpentMailData() async throws -> Int {
        var count = 0
        for statement: PostgresQuery in [
            "DELETE FROM pending_registrations WHERE expires_at < \(now.addingTimeInterval(-86_400)) RETURNING 1",
            "DELETE FROM password_reset_tokens WHERE expires_at < \(now.addingTimeInterval(-86_400)) RETURNING 1",
            "DELETE FROM mail_outbox WHERE state <> 'pending' AND created_at < \(now.addingTimeInterval(-Self.sentMailRetention)) RETURNING 1",
            // A link's mail that could not be sent goes when its link has expired.
            """
            DELETE FROM mail_outbox WHERE category IN ('account', 'registration') AND state = 'dead'
              AND created_at < \(now.addingTimeInterval(-Self.verificationLinkLifetime)) RETURNING 1
            """,
            "DELETE FROM webhook_deliveries WHERE state <> 'pending' AND created_at < \(now.addingTimeInterval(-Self.sentMailRetention)) RETURNING 1",
        ] {
            for try await _ in try await query(statement) { count += 1 }
        }
        return count
    }
}
