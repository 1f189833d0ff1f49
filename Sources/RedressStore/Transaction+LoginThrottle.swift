import Foundation
import PostgresNIO
import RedressCore

/// Limits on password guesses and registrations, kept in PostgreSQL so that they hold across
/// replicas. An attempt is reserved — counted as a failure — before its password is checked, under a
/// lock on each of its subjects, so however many guesses arrive at once, no more than the limits are
/// ever checked; a successful login takes its reservation back. An attempt the limits refuse is
/// refused from a count alone, without taking a lock: a flood of refused guesses holds nothing the
/// owner's attempt would wait for.
///
/// Subjects, each a keyed digest (no address or e-mail is stored):
/// - the account from one address (an IPv6 address counts by its /64): locked after `perAccountAndAddress`
///   failures until the oldest leaves the window — the guesser is stopped, the owner elsewhere is not;
/// - the account from anywhere: after `perAccount` failures, one attempt per `accountSpacing` — a
///   guesser with many addresses is slowed down, and the owner waits seconds, never the whole window.
///   From an address the account signed in from within `knownAddressWindow`, this limit does not
///   apply (only the first one does): a guesser with many addresses cannot keep the owner out;
/// - the address, whatever the account: after `perAddress` failures, one attempt per
///   `addressSpacing` — many people share an address behind carrier-grade NAT, so it is only slowed.
public struct LoginThrottle: Sendable {
    public var window: Duration
    public var perAccountAndAddress: Int
    public var perAccount: Int
    public var accountSpacing: Duration
    public var perAddress: Int
    public var addressSpacing: Duration
    /// Registrations from one address per `registrationWindow`.
    public var registrationsPerAddress: Int
    public var registrationWindow: Duration
    /// How long an address an account signed in from stays known to it.
    public var knownAddressWindow: Duration
    /// Successful logins of one account per `window`: each makes a session and an audit event, and
    /// a right password would otherwise be a way to make them without end.
    public var signInsPerAccount: Int

    public init(
        window: Duration = .seconds(15 * 60), perAccountAndAddress: Int = 5, perAccount: Int = 20, accountSpacing: Duration = .seconds(10),
        perAddress: Int = 50, addressSpacing: Duration = .seconds(2), registrationsPerAddress: Int = 10,
        registrationWindow: Duration = .seconds(60 * 60), knownAddressWindow: Duration = .seconds(30 * 24 * 3600), signInsPerAccount: Int = 30
    ) {
        self.window = window
        self.perAccountAndAddress = perAccountAndAddress
        self.perAccount = perAccount
        self.accountSpacing = accountSpacing
        self.perAddress = perAddress
        self.addressSpacing = addressSpacing
        self.registrationsPerAddress = registrationsPerAddress
        self.registrationWindow = registrationWindow
        self.knownAddressWindow = knownAddressWindow
        self.signInsPerAccount = signInsPerAccount
    }

    /// How long failures and registrations are kept: the longest window. The purge job deletes older
    /// ones (and known addresses after `knownAddressWindow`).
    public var retention: Duration { max(window, registrationWindow) }
}

/// A reserved login attempt: taken back when the password was right.
public struct LoginAttempt: Sendable {
    public let id: UUID
    /// This attempt, if it fails, is the one that locks the account for its address.
    public let locksIfFailed: Bool
}

extension Transaction {
    /// An address as throttles count it (`IPAddress.subscriber`): IPv4 whole, IPv6 by its /64.
    public static func throttleAddress(_ address: String) -> String { IPAddress.subscriber(address) }

    private struct ThrottleRule {
        let subject: String
        let free: Int
        /// `nil`: locked until the oldest failure leaves the window; otherwise one attempt per spacing.
        let spacingSeconds: Int?
    }

    private func loginRules(_ throttle: LoginThrottle, email: String, knownAddress: Bool) -> [ThrottleRule] {
        var rules = [ThrottleRule(subject: pairSubject(email), free: throttle.perAccountAndAddress, spacingSeconds: nil)]
        if !knownAddress {
            rules.append(
                ThrottleRule(subject: "account:" + digest("account:" + email), free: throttle.perAccount, spacingSeconds: Self.seconds(throttle.accountSpacing)))
        }
        rules.append(
            ThrottleRule(subject: "address:" + digest("address:" + callerAddress), free: throttle.perAddress, spacingSeconds: Self.seconds(throttle.addressSpacing)))
        return rules
    }

    /// A request always has a peer; a caller without one (a test's router) counts as one address.
    private var callerAddress: String { origin.clientAddress.map(Self.throttleAddress) ?? "unknown" }

    private func pairSubject(_ email: String) -> String { "pair:" + digest(email + "\n" + callerAddress) }
    private func signInSubject(_ email: String) -> String { "signin:" + digest("signin:" + email) }
    private func knownSubject(_ email: String) -> String { "known:" + digest("known:" + email + "\n" + callerAddress) }

    /// Whether the account signed in from the caller's address within the window.
    private func isKnownAddress(_ email: String, _ throttle: LoginThrottle) async throws -> Bool {
        let subject = knownSubject(email)
        let rows = try await query(
            "SELECT 1 FROM login_failures WHERE subject = \(subject) AND failed_at > \(now) - make_interval(secs => \(Self.seconds(throttle.knownAddressWindow))) LIMIT 1")
        for try await _ in rows { return true }
        return false
    }

    static func seconds(_ duration: Duration) -> Int { Int(duration.components.seconds) }

    /// Reserves one login attempt for `email` from the caller's address, or throws 429 with the
    /// seconds to wait. The reservation counts as a failure until `releaseLoginAttempt` takes it back.
    public func reserveLoginAttempt(_ throttle: LoginThrottle, email: String) async throws -> LoginAttempt {
        let rules = loginRules(throttle, email: email, knownAddress: try await isKnownAddress(email, throttle))
        // Sign-ins are counted, not reserved: the rule only refuses once the account has had its share.
        let signIns = ThrottleRule(subject: signInSubject(email), free: throttle.signInsPerAccount, spacingSeconds: nil)
        _ = try await count([signIns], windowSeconds: Self.seconds(throttle.window))
        let counts = try await lockAndCount(rules, windowSeconds: Self.seconds(throttle.window))
        let id = UUID()
        try await query("INSERT INTO login_failures (subject, attempt, failed_at) SELECT unnest(\(rules.map(\.subject))::text[]), \(id), \(now)")
        let pair = rules[0]
        return LoginAttempt(id: id, locksIfFailed: counts[pair.subject, default: 0] + 1 == pair.free)
    }

    /// An attempt whose password was never checked: it counts for nothing.
    public func withdrawLoginAttempt(_ attempt: LoginAttempt) async throws {
        try await query("DELETE FROM login_failures WHERE attempt = \(attempt.id)")
    }

    /// A right password: the attempt was no failure, and the caller's address is known to the account.
    public func releaseLoginAttempt(_ attempt: LoginAttempt, email: String) async throws {
        try await query("DELETE FROM login_failures WHERE attempt = \(attempt.id)")
        let known = knownSubject(email)
        try await query("DELETE FROM login_failures WHERE subject = \(known)")
        try await query("INSERT INTO login_failures (subject, attempt, failed_at) VALUES (\(known), NULL, \(now)), (\(signInSubject(email)), NULL, \(now))")
    }

    /// Reserves one registration from the caller's address, or throws 429.
    public func reserveRegistration(_ throttle: LoginThrottle) async throws {
        let address = origin.clientAddress.map(Self.throttleAddress) ?? "unknown"
        let rule = ThrottleRule(subject: "register:" + digest("register:" + address), free: throttle.registrationsPerAddress, spacingSeconds: nil)
        _ = try await lockAndCount([rule], windowSeconds: Self.seconds(throttle.registrationWindow))
        try await query("INSERT INTO login_failures (subject, attempt, failed_at) VALUES (\(rule.subject), \(UUID()), \(now))")
    }

    /// Counts an attempt to confirm a registration from the caller's address (each costs a password
    /// hash): three times as many as registrations, for the mistyped password.
    public func reserveRegistrationConfirmation(_ throttle: LoginThrottle) async throws {
        let address = origin.clientAddress.map(Self.throttleAddress) ?? "unknown"
        let free = throttle.registrationsPerAddress > Int.max / 3 ? Int.max : throttle.registrationsPerAddress * 3
        let rule = ThrottleRule(subject: "confirm:" + digest("confirm:" + address), free: free, spacingSeconds: nil)
        _ = try await lockAndCount([rule], windowSeconds: Self.seconds(throttle.registrationWindow))
        try await query("INSERT INTO login_failures (subject, attempt, failed_at) VALUES (\(rule.subject), \(UUID()), \(now))")
    }

    /// Throws 429 with the seconds to wait when a subject is at its limit; otherwise locks the
    /// subjects for the rest of the transaction and says how many failures each has in the window.
    /// The limits are read first without a lock, so that refused attempts take none; then again under
    /// the locks, so that attempts arriving together pass one by one. A subject another attempt holds
    /// at this moment is not waited for — a flood would hold a pooled connection per waiter — but
    /// answered 429 at once.
    private func lockAndCount(_ rules: [ThrottleRule], windowSeconds: Int) async throws -> [String: Int] {
        _ = try await count(rules, windowSeconds: windowSeconds)
        try await Self.tryLocks(rules.map(\.subject).sorted(), lockClass: Self.throttleLockClass, self)
        return try await count(rules, windowSeconds: windowSeconds)
    }

    /// Each subject's failures in the window; 429 when one is at its limit.
    private func count(_ rules: [ThrottleRule], windowSeconds: Int) async throws -> [String: Int] {
        let subjects = rules.map(\.subject)
        let rows = try await query(
            """
            SELECT subject, count(*)::int,
                   ceil(extract(epoch FROM min(failed_at) + make_interval(secs => \(windowSeconds)) - \(now)))::int,
                   floor(extract(epoch FROM \(now) - max(failed_at)))::int
            FROM login_failures
            WHERE subject = ANY(\(subjects)) AND failed_at > \(now) - make_interval(secs => \(windowSeconds))
            GROUP BY subject
            """)
        var retryAfter = 0
        var counts: [String: Int] = [:]
        for try await (subject, failures, untilOldestLeaves, sinceLatest) in rows.decode((String, Int, Int, Int).self) {
            counts[subject] = failures
            guard let rule = rules.first(where: { $0.subject == subject }), failures >= rule.free else { continue }
            let wait = rule.spacingSeconds.map { $0 - sinceLatest } ?? untilOldestLeaves
            if wait > 0 { retryAfter = max(retryAfter, wait) }
        }
        if retryAfter > 0 { throw RedressError(.tooManyAttempts, retryAfterSeconds: retryAfter) }
        return counts
    }

    /// The first key of the two-key advisory locks that serialise throttled attempts (the migrator
    /// and the anchoring use one-key locks, a separate space).
    static let throttleLockClass: Int32 = 0x7265_6474

    /// Takes a transaction-scoped advisory lock on each key without waiting; 429 when one is taken.
    static func tryLocks(_ keys: [String], lockClass: Int32, _ transaction: Transaction) async throws {
        let rows = try await transaction.query(
            "SELECT bool_and(pg_try_advisory_xact_lock(\(lockClass), hashtext(key))) FROM unnest(\(keys)::text[]) AS key")
        for try await locked in rows.decode(Bool?.self) where locked != true {
            throw RedressError(.tooManyAttempts, detail: "Another attempt is under way; try again.", retryAfterSeconds: 1)
        }
    }

    /// Deletes throttle rows that no longer count for anything: failures and registrations older than
    /// the longest window, known addresses older than theirs.
    public func purgeThrottleRows(_ throttle: LoginThrottle) async throws -> Int {
        let rows = try await query(
            """
            WITH gone AS (
                DELETE FROM login_failures
                WHERE failed_at < \(now) - make_interval(secs => \(Self.seconds(throttle.retention))) AND subject NOT LIKE 'known:%'
                   OR failed_at < \(now) - make_interval(secs => \(Self.seconds(throttle.knownAddressWindow)))
                RETURNING 1)
            SELECT count(*)::int FROM gone
            """)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}

extension Transaction {
    /// The attempt that locked an account for one address, in the account's chain (no address: the
    /// event says that it happened and for how long, not from where).
    public func recordLoginLockout(accountID: UUID, throttle: LoginThrottle) async throws {
        try await record(
            AuditEntry(
                chain: AuditChain.account(accountID), action: "auth.login_locked", entityType: "account", entityID: accountID,
                actor: AuditActor(accountID: nil, role: "anonymous", organizationID: nil),
                changes: ["locked_seconds": .init(after: .int(Self.seconds(throttle.window)))]))
    }
}
