import Foundation
import PostgresNIO
import RedressCore

extension Transaction {
    /// The open cases of a platform or merchant, most urgent first (overdue ones, then the earliest
    /// deadline, then the largest amount), as its staff work through them. `offset` pages through it.
    public func openCases(of scope: ComplaintFilter.Scope, offset: Int, limit: Int) async throws -> [Complaint] {
        var platform: UUID?, merchant: UUID?
        switch scope {
        case .platform(let id): platform = id
        case .merchant(let id): merchant = id
        default: return []
        }
        let open = ComplaintState.allCases.filter { !$0.isTerminal }.map(\.rawValue)
        let rows = try await query(
            """
            SELECT \(unescaped: Self.complaintColumns) FROM complaints
            WHERE (\(platform == nil) OR platform_id = \(platform ?? UUID()))
              AND (\(merchant == nil) OR merchant_id = \(merchant ?? UUID()))
              AND state = ANY(\(open))
            ORDER BY overdue DESC, deadline_at ASC NULLS LAST, amount_paid DESC, id
            OFFSET \(offset) LIMIT \(limit)
            """)
        var complaints: [Complaint] = []
        for try await row in rows { complaints.append(try Self.decodeComplaint(row)) }
        return complaints
    }
}

extension Transaction {
    /// The cases of a scope (a consumer's own, a mediation body's, or every case the caller may read),
    /// newest first. `offset` pages through it.
    public func recentComplaints(of scope: ComplaintFilter.Scope, offset: Int, limit: Int) async throws -> [Complaint] {
        let (consumer, platform, merchant, body) = scope.columns
        let rows = try await query(
            """
            SELECT \(unescaped: Self.complaintColumns) FROM complaints
            WHERE (\(consumer == nil) OR consumer_id = \(consumer ?? UUID()))
              AND (\(platform == nil) OR platform_id = \(platform ?? UUID()))
              AND (\(merchant == nil) OR merchant_id = \(merchant ?? UUID()))
              AND (\(body == nil) OR mediation_body_id = \(body ?? UUID()))
            ORDER BY submitted_at DESC, id DESC
            OFFSET \(offset) LIMIT \(limit)
            """)
        var complaints: [Complaint] = []
        for try await row in rows { complaints.append(try Self.decodeComplaint(row)) }
        return complaints
    }
}
