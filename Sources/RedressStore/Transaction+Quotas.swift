import Foundation
import PostgresNIO
import RedressCore

/// Per-caller limits on what costs others work: filings per consumer, messages per case. A caller
/// at its limit is refused from a count alone. Otherwise the check locks its subject for the rest of
/// the transaction and counts again, so that requests arriving together are counted one after
/// another and cannot pass the limit side by side. The lock is waited for at most `lockWait` (then
/// 429): how many of one account's requests can wait at once is bounded before they take a connection
/// (the API's write gate), and how long they wait, here.
extension Transaction {
    /// Throws 429 when the consumer filed `limit` complaints in the last `window`.
    public func requireFilingQuota(consumerID: UUID, limit: Int, window: Duration, lockWait: Duration) async throws {
        let count = FilingCountStatement(seconds: Int(window.components.seconds), now: now, subjects: [consumerID])
        try await requireQuota(
            subject: "filing:" + consumerID.uuidString, count: count, limit: limit, lockWait: lockWait, what: "Too many complaints filed; try again later.")
    }

    /// Throws 429 when the platform recorded `limit` versions of its terms in the last `window` (terms
    /// change rarely; versions by the hundred fill the database). Recordings at once take turns.
    public func requireTermsQuota(platformID: UUID, limit: Int, window: Duration, lockWait: Duration) async throws {
        let count = TermsCountStatement(seconds: Int(window.components.seconds), now: now, subjects: [platformID])
        try await requireQuota(
            subject: "terms:" + platformID.uuidString, count: count, limit: limit, lockWait: lockWait,
            what: "Too many versions of the terms in 24 hours; try again later.")
    }

    /// Throws 429 when the author posted `limit` messages to the case in the last `window`.
    public func requireMessageQuota(complaintID: UUID, authorID: UUID, limit: Int, window: Duration, lockWait: Duration) async throws {
        let count = MessageCountStatement(seconds: Int(window.components.seconds), now: now, subjects: [complaintID, authorID])
        try await requireQuota(
            subject: "message:" + authorID.uuidString, count: count, limit: limit, lockWait: lockWait,
            what: "Too many messages to this case; try again later.")
    }

    private func requireQuota(subject: String, count: some WindowCountStatement, limit: Int, lockWait: Duration, what: String) async throws {
        try await refuseOverLimit(count, limit: limit, what: what)
        // lock_timeout applies to advisory locks too; it is set for this lock only, then back to what
        // the deployment configured.
        let milliseconds = max(lockWait.components.seconds * 1000 + lockWait.components.attoseconds / 1_000_000_000_000_000, 1)
        try await query("SELECT set_config('lock_timeout', \("\(milliseconds)ms"), true)")
        do {
            // A statement's error can arrive after its row description: read the row to see it.
            for try await _ in try await query("SELECT pg_advisory_xact_lock(\(Self.quotaLockClass), hashtext(\(subject)))") {}
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55P03" {
            throw RedressError(.tooManyAttempts, detail: "Another request of yours is under way; try again.", retryAfterSeconds: 1)
        }
        try await query("SET LOCAL lock_timeout TO DEFAULT")
        try await refuseOverLimit(count, limit: limit, what: what)
    }

    private func refuseOverLimit(_ count: some WindowCountStatement, limit: Int, what: String) async throws {
        for try await row in try await execute(count) {
            let (count, wait) = try row.decode((Int, Int).self)
            if count >= limit { throw RedressError(.tooManyAttempts, detail: what, retryAfterSeconds: max(wait, 1)) }
        }
    }

    /// The first key of the two-key advisory locks of these limits.
    static let quotaLockClass: Int32 = 0x7265_6471
}

/// How many rows of a subject were written in the last `seconds` before `now`, and in how many seconds
/// the oldest of them leaves the window: `$1` the window, `$2` now, then the subject's ids. Prepared
/// per connection (planning one under row-level security cost more than running it).
protocol WindowCountStatement: FixedStatement {
    var seconds: Int { get }
    var now: Date { get }
    var subjects: [UUID] { get }
}

extension WindowCountStatement {
    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2 + subjects.count)
        bindings.append(seconds)
        bindings.append(now)
        for subject in subjects { bindings.append(subject) }
        return bindings
    }
}

/// A consumer's filings.
struct FilingCountStatement: WindowCountStatement {
    static let sql = """
        SELECT count(*)::int, coalesce(ceil(extract(epoch FROM min(submitted_at) + make_interval(secs => $1) - $2))::int, 0)
        FROM complaints WHERE consumer_id = $3 AND submitted_at > $2 - make_interval(secs => $1)
        """
    let seconds: Int, now: Date, subjects: [UUID]
}

/// A platform's versions of its terms.
struct TermsCountStatement: WindowCountStatement {
    static let sql = """
        SELECT count(*)::int, coalesce(ceil(extract(epoch FROM min(created_at) + make_interval(secs => $1) - $2))::int, 0)
        FROM platform_terms WHERE platform_id = $3 AND created_at > $2 - make_interval(secs => $1)
        """
    let seconds: Int, now: Date, subjects: [UUID]
}

/// An author's messages to a case.
struct MessageCountStatement: WindowCountStatement {
    static let sql = """
        SELECT count(*)::int, coalesce(ceil(extract(epoch FROM min(created_at) + make_interval(secs => $1) - $2))::int, 0)
        FROM complaint_messages WHERE complaint_id = $3 AND author_id = $4 AND created_at > $2 - make_interval(secs => $1)
        """
    let seconds: Int, now: Date, subjects: [UUID]
}
