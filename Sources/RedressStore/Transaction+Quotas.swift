import Foundation
import PostgresNIO
import RedressCore

/// Per-caller limits on what costs others work: filings per consumer, messages per case. Each check
/// locks its subject for the rest of the transaction, so that requests arriving together are
/// counted one after another and cannot pass the limit side by side. (How many of one account's
/// requests can wait here at once is bounded before they take a connection: the API's write gate.)
extension Transaction {
    /// Throws 429 when the consumer filed `limit` complaints in the last `window`.
    public func requireFilingQuota(consumerID: UUID, limit: Int, window: Duration) async throws {
        let seconds = Int(window.components.seconds)
        try await query("SELECT pg_advisory_xact_lock(\(Self.quotaLockClass), hashtext(\("filing:" + consumerID.uuidString)))")
        let rows = try await query(
            """
            SELECT count(*)::int, coalesce(ceil(extract(epoch FROM min(submitted_at) + make_interval(secs => \(seconds)) - \(now)))::int, 0)
            FROM complaints WHERE consumer_id = \(consumerID) AND submitted_at > \(now) - make_interval(secs => \(seconds))
            """)
        try await Self.refuseOverLimit(rows, limit: limit, what: "Too many complaints filed; try again later.")
    }

    /// Throws 429 when the author posted `limit` messages to the case in the last `window`.
    public func requireMessageQuota(complaintID: UUID, authorID: UUID, limit: Int, window: Duration) async throws {
        let seconds = Int(window.components.seconds)
        try await query("SELECT pg_advisory_xact_lock(\(Self.quotaLockClass), hashtext(\("message:" + authorID.uuidString)))")
        let rows = try await query(
            """
            SELECT count(*)::int, coalesce(ceil(extract(epoch FROM min(created_at) + make_interval(secs => \(seconds)) - \(now)))::int, 0)
            FROM complaint_messages
            WHERE complaint_id = \(complaintID) AND author_id = \(authorID) AND created_at > \(now) - make_interval(secs => \(seconds))
            """)
        try await Self.refuseOverLimit(rows, limit: limit, what: "Too many messages to this case; try again later.")
    }

    private static func refuseOverLimit(_ rows: PostgresRowSequence, limit: Int, what: String) async throws {
        for try await (count, wait) in rows.decode((Int, Int).self) where count >= limit {
            throw RedressError(.tooManyAttempts, detail: what, retryAfterSeconds: max(wait, 1))
        }
    }

    /// The first key of the two-key advisory locks of these limits.
    static let quotaLockClass: Int32 = 0x7265_6471
}
