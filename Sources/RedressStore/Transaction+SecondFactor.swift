import Crypto
import Foundation
import PostgresNIO
import RedressCore

/// An account's second factor as stored: the sealed secret, and whether its enrolment was confirmed.
public struct StoredSecondFactor: Sendable, Equatable {
    /// Sealed with the keyring (`Keyring.seal`): `<key id>:<ciphertext>`.
    public let sealedSecret: String
    public let confirmed: Bool
    /// The last time step whose code was accepted.
    public let lastStep: Int64
    /// Wrong authenticator codes since the last right one.
    public let failures: Int
}

extension Transaction {
    /// The caller's own second factor, if any (enrolled or waiting for its first code).
    public func secondFactor(accountID: UUID) async throws -> StoredSecondFactor? {
        let rows = try await query(
            """
            SELECT totp_secret, totp_confirmed_at IS NOT NULL, totp_last_step, totp_failures FROM accounts
            WHERE id = \(accountID) AND totp_secret IS NOT NULL
            """)
        for try await (secret, confirmed, lastStep, failures) in rows.decode((String, Bool, Int64, Int).self) {
            return StoredSecondFactor(sealedSecret: secret, confirmed: confirmed, lastStep: lastStep, failures: failures)
        }
        return nil
    }

    /// Starts an enrolment (replacing one that waits for its first code; never a confirmed one: 409).
    public func beginSecondFactorEnrolment(accountID: UUID, sealedSecret: String, actor: AuditActor) async throws {
        let rows = try await query(
            """
            UPDATE accounts SET totp_secret = \(sealedSecret), totp_confirmed_at = NULL, totp_last_step = 0, totp_failures = 0
            WHERE id = \(accountID) AND totp_confirmed_at IS NULL RETURNING 1
            """)
        var started = false
        for try await _ in rows { started = true }
        if !started { throw RedressError(.conflict, detail: "A second factor is enrolled: turn it off first (DELETE /api/v1/me/second-factor).") }
        try await record(
            AuditEntry(
                chain: AuditChain.account(accountID), action: "account.second_factor_enrolment", entityType: "account", entityID: accountID,
                actor: actor, changes: ["second_factor": .init(after: .string("pending"))]))
    }

    /// Accepts the code of `step` once: false when that step (or a later one) was already used, so a
    /// code cannot be replayed, not even by two sign-ins at the same moment.
    public func consumeSecondFactorStep(accountID: UUID, step: Int64) async throws -> Bool {
        let rows = try await query(
            "UPDATE accounts SET totp_last_step = \(step), totp_failures = 0 WHERE id = \(accountID) AND totp_last_step < \(step) RETURNING 1")
        for try await _ in rows { return true }
        return false
    }

    /// Counts a wrong authenticator code (in a transaction of its own: the attempt it belonged to fails).
    public func countSecondFactorFailure(accountID: UUID) async throws {
        try await query("UPDATE accounts SET totp_failures = least(totp_failures + 1, 1000000) WHERE id = \(accountID)")
    }

    /// Confirms the enrolment of `sealedSecret` (its first code was accepted) and stores the digests of
    /// new recovery codes in place of any older ones. False when that enrolment is no longer the one
    /// waiting (a concurrent enrolment replaced it, or a concurrent confirmation won). Audited.
    public func confirmSecondFactor(accountID: UUID, sealedSecret: String, recoveryCodeDigests: [[UInt8]], actor: AuditActor) async throws -> Bool {
        let rows = try await query(
            """
            UPDATE accounts SET totp_confirmed_at = \(now)
            WHERE id = \(accountID) AND totp_secret = \(sealedSecret) AND totp_confirmed_at IS NULL RETURNING 1
            """)
        var confirmed = false
        for try await _ in rows { confirmed = true }
        guard confirmed else { return false }
        try await replaceRecoveryCodes(accountID: accountID, digests: recoveryCodeDigests)
        try await record(
            AuditEntry(
                chain: AuditChain.account(accountID), action: "account.second_factor_enabled", entityType: "account", entityID: accountID,
                actor: actor, changes: ["second_factor": .init(before: .bool(false), after: .bool(true))]))
        return true
    }

    public func replaceRecoveryCodes(accountID: UUID, digests: [[UInt8]]) async throws {
        try await query("DELETE FROM recovery_codes WHERE account_id = \(accountID)")
        for digest in digests {
            try await query(
                "INSERT INTO recovery_codes (account_id, code_digest, created_at) VALUES (\(accountID), \(PostgresByteBuffer(digest)), \(now))")
        }
    }

    /// Spends one recovery code, given the digests it may be kept as: false when it is not one of the
    /// account's, or was used. A right one also clears the count of wrong authenticator codes.
    public func consumeRecoveryCode(accountID: UUID, digests: [[UInt8]]) async throws -> Bool {
        let rows = try await query(
            """
            UPDATE recovery_codes SET used_at = \(now)
            WHERE account_id = \(accountID) AND used_at IS NULL
              AND code_digest IN (SELECT decode(hex, 'hex') FROM unnest(\(digests.map(\.hexString))::text[]) AS hex)
            RETURNING 1
            """)
        var spent = false
        for try await _ in rows { spent = true }
        if spent { try await query("UPDATE accounts SET totp_failures = 0 WHERE id = \(accountID)") }
        return spent
    }

    public func unusedRecoveryCodes(accountID: UUID) async throws -> Int {
        let rows = try await query("SELECT count(*)::int FROM recovery_codes WHERE account_id = \(accountID) AND used_at IS NULL")
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    /// Removes the second factor (its owner turning it off, or a manager's reset). Audited when there was one.
    public func removeSecondFactor(accountID: UUID, chain: String, actor: AuditActor) async throws {
        let rows = try await query(
            """
            UPDATE accounts SET totp_secret = NULL, totp_confirmed_at = NULL, totp_last_step = 0
            WHERE id = \(accountID) AND totp_secret IS NOT NULL RETURNING totp_confirmed_at IS NOT NULL
            """)
        var removed: Bool? = nil
        for try await confirmed in rows.decode(Bool.self) { removed = confirmed }
        try await query("DELETE FROM recovery_codes WHERE account_id = \(accountID)")
        if removed == true {
            try await record(
                AuditEntry(
                    chain: chain, action: "account.second_factor_removed", entityType: "account", entityID: accountID, actor: actor,
                    changes: ["second_factor": .init(before: .bool(true), after: .bool(false))]))
        }
    }

    /// Marks the session of `digest` as one opened with the second factor (its owner just enrolled).
    public func markSessionSecondFactor(digest: [UInt8], accountID: UUID) async throws {
        try await query(
            "UPDATE sessions SET second_factor = true WHERE token_digest = \(PostgresByteBuffer(digest)) AND account_id = \(accountID)")
        try await announceSessionChange(of: accountID)
    }
}
