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

    /// Warns of up to `limit` deadlines that end by the end of the next working day and were not
    /// warned of yet in the case's state (the same time can be the merchant's and then the platform's): one `complaint.deadline_approaching` event each. Returns how many.
    ///
    /// `OFFSET 0` keeps the warnings' check a lookup by their key for each case (a subplan): as an
    /// anti-join, under the complaints' row-level security PostgreSQL expected one case in the window
    /// and read every warning for each of the 6,400 it found — 3 to 6 s per batch of 50 at a million
    /// complaints, against 32 ms with the lookup.
    public func warnOfApproachingDeadlines(limit: Int) async throws -> Int {
        let rows = try await query(
            """
            WITH due AS (
                SELECT c.id, c.deadline_at, c.state FROM complaints c
                WHERE c.deadline_at > \(now) AND c.deadline_at <= redress_end_of_working_day(\(now), 1)
                  AND NOT c.overdue AND c.state IN \(unescaped: Lifecycle.deadlineStates.sqlList)
                  AND NOT EXISTS (
                      SELECT 1 FROM deadline_warnings w WHERE w.complaint_id = c.id AND w.deadline_at = c.deadline_at AND w.state = c.state
                      OFFSET 0)
                ORDER BY c.deadline_at LIMIT \(limit)
                FOR UPDATE OF c SKIP LOCKED),
            warned AS (
                INSERT INTO deadline_warnings (complaint_id, deadline_at, state, warned_at) SELECT id, deadline_at, state, \(now) FROM due
                ON CONFLICT DO NOTHING RETURNING complaint_id)
            INSERT INTO outbox_events (id, complaint_id, type, occurred_at, state)
            SELECT gen_random_uuid(), due.id, 'complaint.deadline_approaching', \(now), due.state FROM due JOIN warned ON warned.complaint_id = due.id
            RETURNING id
            """)
        var count = 0
        for try await _ in rows.decode(UUID.self) { count += 1 }
        return count
    }

    /// Up to `limit` cases whose standard deadline passed before `now` without a first response and
    /// that are not yet marked so, in any state but withdrawn or invalid (a case escalated, failed and
    /// referred before the deadline becomes due then too), locked as `claimMissedDeadlines` locks.
    public func claimPassedStandardDeadlines(before now: Date, limit: Int) async throws -> [UUID] {
        try await ids(
            """
            SELECT id FROM complaints
            WHERE standard_deadline_at < \(now) AND first_response_at IS NULL AND NOT standard_deadline_passed
              AND state NOT IN ('withdrawn', 'invalid')
            ORDER BY standard_deadline_at LIMIT \(limit)
            FOR UPDATE SKIP LOCKED
            """)
    }

    /// Where a pass over expired ultimatums or closing times has got to: the last case it looked at.
    public struct TimedCursor: Sendable, Equatable {
        public let at: Date
        public let id: UUID

        static let start = TimedCursor(at: .distantPast, id: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))
    }

    /// Up to `limit` cases whose closing time passed before `now` in a state the system closes,
    /// earliest first after `cursor`, locked as `claimMissedDeadlines` locks.
    public func claimClosingCases(before now: Date, after cursor: TimedCursor?, limit: Int) async throws -> [TimedCursor] {
        try await claimInTurn(by: "closes_at", in: Lifecycle.closingStates, before: now, after: cursor, limit: limit)
    }

    /// Up to `limit` cases whose consumer's ultimatum ran out before `now`, in a state it is carried
    /// out from, earliest first after `cursor`, locked as `claimMissedDeadlines` locks. A case the
    /// lifecycle does not let the system escalate yet stays expired; the cursor passes it, so that
    /// however many wait, the ones behind them are reached.
    public func claimExpiredUltimatums(before now: Date, after cursor: TimedCursor?, limit: Int) async throws -> [TimedCursor] {
        try await claimInTurn(by: "ultimatum_at", in: Lifecycle.ultimatumStates, before: now, after: cursor, limit: limit)
    }

    /// The cases in `states` whose `column` (a time, one of the two above: never input) passed before
    /// `now`, in (time, id) order after `cursor`, so that a pass pages past what it cannot act on.
    private func claimInTurn(
        by column: String, in states: [ComplaintState], before now: Date, after cursor: TimedCursor?, limit: Int
    ) async throws -> [TimedCursor] {
        let start = cursor ?? .start
        let rows = try await query(
            """
            SELECT \(unescaped: column), id FROM complaints
            WHERE \(unescaped: column) < \(now) AND state IN \(unescaped: states.sqlList)
              AND (\(unescaped: column), id) > (\(start.at), \(start.id))
            ORDER BY \(unescaped: column), id LIMIT \(limit)
            FOR UPDATE SKIP LOCKED
            """)
        var claimed: [TimedCursor] = []
        for try await (at, id) in rows.decode((Date, UUID).self) { claimed.append(TimedCursor(at: at, id: id)) }
        return claimed
    }

    func ids(_ sql: PostgresQuery) async throws -> [UUID] {
        var ids: [UUID] = []
        for try await id in try await query(sql).decode(UUID.self) { ids.append(id) }
        return ids
    }
}
