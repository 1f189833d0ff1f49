import Foundation
import PostgresNIO
import RedressCore

/// Limits on failed logins, per account and per client address, kept in PostgreSQL so that they hold
/// across replicas. A subject that reached its limit is refused until its oldest failure in the window
/// leaves the window.
public struct LoginThrottle: Sendable {
    public var window: Duration
    public var perAccount: Int
    public var perAddress: Int

    public init(window: Duration = .seconds(15 * 60), perAccount: Int = 5, perAddress: Int = 20) {
        self.window = window
        self.perAccount = perAccount
        self.perAddress = perAddress
    }

    var windowSeconds: Int { Int(window.components.seconds) }
}

extension Transaction {
    func throttleSubjects(email: String, clientAddress: String?) -> [String] {
        ["account:" + digest(email)] + (clientAddress.map { ["address:" + $0] } ?? [])
    }

    /// Throws 429 with the seconds to wait when the account or the address is over its limit.
    public func checkLoginThrottle(_ throttle: LoginThrottle, email: String) async throws {
        let subjects = throttleSubjects(email: email, clientAddress: origin.clientAddress)
        let rows = try await query(
            """
            SELECT subject, count(*)::int, ceil(extract(epoch FROM min(failed_at) + make_interval(secs => \(throttle.windowSeconds)) - now()))::int
            FROM login_failures
            WHERE subject = ANY(\(subjects)) AND failed_at > now() - make_interval(secs => \(throttle.windowSeconds))
            GROUP BY subject
            """)
        var retryAfter = 0
        for try await (subject, failures, wait) in rows.decode((String, Int, Int).self) {
            let limit = subject.hasPrefix("account:") ? throttle.perAccount : throttle.perAddress
            if failures >= limit { retryAfter = max(retryAfter, max(wait, 1)) }
        }
        if retryAfter > 0 { throw RedressError(.tooManyAttempts, retryAfterSeconds: retryAfter) }
    }

    public func recordLoginFailure(_ throttle: LoginThrottle, email: String) async throws {
        let subjects = throttleSubjects(email: email, clientAddress: origin.clientAddress)
        try await query(
            """
            DELETE FROM login_failures
            WHERE subject = ANY(\(subjects)) AND failed_at <= now() - make_interval(secs => \(throttle.windowSeconds))
            """)
        try await query("INSERT INTO login_failures (subject) SELECT unnest(\(subjects)::text[])")
    }

    public func clearLoginFailures(email: String) async throws {
        try await query("DELETE FROM login_failures WHERE subject = \("account:" + digest(email))")
    }
}
