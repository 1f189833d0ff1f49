import Foundation
import PostgresNIO
import RedressCore

extension [ComplaintState] {
    /// The states as an SQL list literal, `('a', 'b')`: written into a query's text (the values are
    /// the lifecycle's own constants, never input), so that the planner can match partial indexes
    /// whose predicates name the same states.
    var sqlList: String { "(" + map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")" }
}

extension Transaction {
    /// Up to `limit` cases whose deadline passed before `now` and that are not yet marked overdue,
    /// earliest deadline first, locked for this transaction; cases another transaction holds are
    /// skipped, so replicas running the deadline job at once share the work.
    public func claimMissedDeadlines(before now: Date, limit: Int) async throws -> [UUID] {
        try await ids(
            """
            SELECT id FROM complaints
            WHERE deadline_at < \(now) AND NOT overdue AND state IN \(unescaped: Lifecycle.deadlineStates.sqlList)
            ORDER BY deadline_at LIMIT \(limit)
            FOR UPDATE SKIP LOCKED
            """)
    }

    /// Up to `limit` cases whose consumer's ultimatum ran out before `now`, in a state it is carried
    /// out from, earliest first, locked as `claimMissedDeadlines` locks.
    public func claimExpiredUltimatums(before now: Date, limit: Int) async throws -> [UUID] {
        try await ids(
            """
            SELECT id FROM complaints
            WHERE ultimatum_at < \(now) AND state IN \(unescaped: Lifecycle.ultimatumStates.sqlList)
            ORDER BY ultimatum_at LIMIT \(limit)
            FOR UPDATE SKIP LOCKED
            """)
    }

    private func ids(_ sql: PostgresQuery) async throws -> [UUID] {
        var ids: [UUID] = []
        for try await id in try await query(sql).decode(UUID.self) { ids.append(id) }
        return ids
    }
}
