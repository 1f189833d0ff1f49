import Crypto
import Foundation
import PostgresNIO
import RedressCore

/// The account a reset link was made for.
public struct ResetTarget: Sendable, Equatable {
    public let accountID: UUID
    public let email: String
    public let role: Role
    public let organizationID: UUID?
    /// The language of the account's mails.
    public let language: String
}

extension Transaction {
    /// How long a reset link works, and how many one account gets per hour.
    public static let resetLinkLifetime: TimeInterval = 30 * 60
    public static let resetLinksPerHour = 3

    /// As the system: a new single-use token for the active account of `email`, unless it has had
    /// `resetLinksPerHour` this hour; nil when there is no such account or it has.
    public func makePasswordResetToken(email: String) async throws -> (token: String, target: ResetTarget)? {
        let rows = try await query(
            """
            SELECT a.id, a.email, a.role, a.organization_id, a.mail_language FROM accounts a
            WHERE a.email = \(email) AND a.disabled_at IS NULL AND a.erased_at IS NULL
              AND (SELECT count(*) FROM password_reset_tokens t
                   WHERE t.account_id = a.id AND t.created_at > \(now.addingTimeInterval(-3600))) < \(Self.resetLinksPerHour)
            """)
        var target: ResetTarget?
        for try await (id, address, role, organization, language) in rows.decode((UUID, String, String, UUID?, String).self) {
            target = Role(rawValue: role).map { ResetTarget(accountID: id, email: address, role: $0, organizationID: organization, language: language) }
        }
        guard let target else { return nil }
        let token = SecureRandom.token(bytes: 32)
        try await query(
            """
            INSERT INTO password_reset_tokens (digest, account_id, created_at, expires_at)
            VALUES (\(PostgresByteBuffer(Self.resetDigest(token))), \(target.accountID), \(now), \(now.addingTimeInterval(Self.resetLinkLifetime)))
            """)
        return (token, target)
    }

    /// As the system: the account a token that still works was made for.
    public func passwordResetTarget(token: String) async throws -> ResetTarget? {
        let rows = try await query(
            """
            SELECT a.id, a.email, a.role, a.organization_id, a.mail_language FROM password_reset_tokens t JOIN accounts a ON a.id = t.account_id
            WHERE t.digest = \(PostgresByteBuffer(Self.resetDigest(token))) AND t.used_at IS NULL AND t.expires_at > \(now)
              AND a.disabled_at IS NULL AND a.erased_at IS NULL
            """)
        for try await (id, address, role, organization, language) in rows.decode((UUID, String, String, UUID?, String).self) {
            return Role(rawValue: role).map { ResetTarget(accountID: id, email: address, role: $0, organizationID: organization, language: language) }
        }
        return nil
    }

    /// Spends `token` (and every other token of its account) as the system, then, as the account
    /// itself, sets the new password and ends every session of it. False when the token no longer
    /// works (spent meanwhile, or expired).
    public func resetPassword(token: String, target: ResetTarget, newHash: String) async throws -> Bool {
        let spent = try await query(
            """
            UPDATE password_reset_tokens SET used_at = \(now)
            WHERE digest = \(PostgresByteBuffer(Self.resetDigest(token))) AND account_id = \(target.accountID)
              AND used_at IS NULL AND expires_at > \(now)
            RETURNING 1
            """)
        var found = false
        for try await _ in spent { found = true }
        guard found else { return false }
        try await query("UPDATE password_reset_tokens SET used_at = \(now) WHERE account_id = \(target.accountID) AND used_at IS NULL")
        // The link proved the person: the rest is done as him.
        let person = DatabaseIdentity(role: target.role.rawValue, accountID: target.accountID, organizationID: target.organizationID)
        try await execute(SetIdentityStatement(identity: person))
        try await query(
            """
            UPDATE accounts SET password_hash = \(newHash), must_change_password = false, password_changed_at = \(now)
            WHERE id = \(target.accountID)
            """)
        try await query("UPDATE sessions SET revoked_at = \(now) WHERE account_id = \(target.accountID) AND revoked_at IS NULL")
        try await announceSessionChange(of: target.accountID)
        try await record(
            AuditEntry(
                chain: AuditChain.account(target.accountID), action: "account.password_reset_by_link", entityType: "account",
                entityID: target.accountID, actor: AuditActor(accountID: target.accountID, role: target.role.rawValue, organizationID: target.organizationID),
                changes: ["password": .init(after: .string("changed")), "sessions": .init(after: .string("ended"))]))
        return true
    }

    static func resetDigest(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Data(token.utf8))) }
}
