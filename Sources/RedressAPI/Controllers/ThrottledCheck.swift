import Foundation
import RedressCore
import RedressStore

/// A secret checked for a signed-in person (his password, a second-factor code) under the sign-in
/// throttle of his account: a stolen token must not become a way to guess what it does not hold.
struct ThrottledCheck {
    let database: Database
    let throttle: LoginThrottle
    let email: String
    let accountID: UUID
    let origin: RequestOrigin

    /// Runs `check` as one counted attempt (429 once the account's attempts are spent): an attempt
    /// that passes is released, one that fails stays counted and, at the limit, locks the account for
    /// this address as a failed sign-in would. Returns what `check` returned.
    func run(_ check: () async throws -> Bool) async throws -> Bool {
        try await passing { try await check() ? true : nil } ?? false
    }

    /// Checks the person's password as one counted attempt: the hash it matched (so that a change can
    /// be made only while it is still the current one), or `nil`.
    func password(_ password: String, hasher: PasswordHasher) async throws -> String? {
        let lookup = DatabaseIdentity(role: "anonymous", authEmail: email)
        return try await passing { () -> String? in
            guard let candidate = try await database.transaction(as: lookup, origin: origin, { try await $0.loginCandidate(email: email) })
            else { throw RedressError.unauthenticated }
            return try await hasher.verify(password, hash: candidate.passwordHash) ? candidate.passwordHash : nil
        }
    }

    /// As `run`, for a check that yields what it verified (`nil`: it failed).
    func passing<Value>(_ check: () async throws -> Value?) async throws -> Value? {
        let lookup = DatabaseIdentity(role: "anonymous", authEmail: email)
        let attempt = try await database.transaction(as: lookup, origin: origin) { transaction in
            try await transaction.reserveLoginAttempt(throttle, email: email)
        }
        let value: Value?
        do {
            value = try await check()
        } catch {
            // Not checked (a fault, or an input refused before any guess): no failure to count.
            try? await database.transaction(as: lookup, origin: origin) { try await $0.withdrawLoginAttempt(attempt) }
            throw error
        }
        let passed = value != nil
        try await database.transaction(as: lookup, origin: origin) { transaction in
            if passed {
                try await transaction.releaseLoginAttempt(attempt, email: email)
            } else if attempt.locksIfFailed {
                try await transaction.recordLoginLockout(accountID: accountID, throttle: throttle)
            }
        }
        return value
    }
}
