import Foundation
import PostgresNIO
import RedressCore
import StoreTestSupport

extension TestApp {
    /// The rollup rows that differ from a recount of the complaints themselves (daily and monthly),
    /// plus the complaints whose response time is missing or extra, and the days and months whose
    /// response seconds differ from the response times: 0 when the triggers kept every counter exact.
    public func statisticsDiscrepancies() async throws -> Int {
        let columns = StatisticsCounts.counters.map(\.column)
        let sums = "ARRAY[" + columns.indices.map { "sum(v[\($0 + 1)])" }.joined(separator: ", ") + "]::bigint[]"
        let stored = "ARRAY[" + columns.joined(separator: ", ") + "]"
        return try await asOwner { connection in
            let discrepancies = try await connection.scalar(
                PostgresQuery(unsafeSQL: """
                WITH contributions AS (
                    SELECT platform_id, submitted_on, category, redress_statistics_contribution(c) AS v FROM complaints c
                ), daily_truth AS (
                    SELECT platform_id, submitted_on AS day, category, \(sums) AS v
                    FROM contributions GROUP BY 1, 2, 3
                ), daily AS (
                    SELECT platform_id, day, category, \(stored) AS v
                    FROM platform_daily_statistics
                ), monthly_truth AS (
                    SELECT platform_id, date_trunc('month', day)::date AS month, category, \(sums) AS v
                    FROM daily_truth GROUP BY 1, 2, 3
                ), monthly AS (
                    SELECT platform_id, month, category, \(stored) AS v
                    FROM platform_monthly_statistics
                )
                SELECT (SELECT count(*) FROM ((SELECT * FROM daily_truth EXCEPT SELECT * FROM daily)
                                              UNION ALL (SELECT * FROM daily EXCEPT SELECT * FROM daily_truth)) d)
                     + (SELECT count(*) FROM ((SELECT * FROM monthly_truth EXCEPT SELECT * FROM monthly)
                                              UNION ALL (SELECT * FROM monthly EXCEPT SELECT * FROM monthly_truth)) m)
                     + (SELECT count(*) FROM complaints c FULL JOIN complaint_response_times t ON t.complaint_id = c.id
                        WHERE (c.first_response_at IS NOT NULL) IS DISTINCT FROM (t.complaint_id IS NOT NULL))
                     + \(Self.responseSecondsDiscrepancies(table: "platform_response_seconds", key: "day", bucket: "submitted_on"))
                     + \(Self.responseSecondsDiscrepancies(
                         table: "platform_monthly_response_seconds", key: "month", bucket: "date_trunc('month', submitted_on)::date"))
                     + (SELECT count(*) FROM (
                            (SELECT merchant_id, platform_id, month, ARRAY[sum(v[1]), sum(v[2]), sum(v[3]), sum(v[4]), sum(v[5]), sum(v[6]), sum(v[7])] AS v
                             FROM (SELECT merchant_id, platform_id, date_trunc('month', submitted_on)::date AS month,
                                          redress_merchant_contribution(c) AS v FROM complaints c WHERE merchant_id IS NOT NULL) x
                             GROUP BY 1, 2, 3
                             EXCEPT SELECT merchant_id, platform_id, month,
                                           ARRAY[complaints, invalid, open, unresolved, missed_deadline, amount_refunded, police_referrals]::numeric[]
                             FROM merchant_monthly_record WHERE (complaints, invalid, open, unresolved, missed_deadline, amount_refunded, police_referrals)
                                   <> (0, 0, 0, 0, 0, 0, 0))
                            UNION ALL
                            (SELECT merchant_id, platform_id, month,
                                    ARRAY[complaints, invalid, open, unresolved, missed_deadline, amount_refunded, police_referrals]::numeric[]
                             FROM merchant_monthly_record WHERE (complaints, invalid, open, unresolved, missed_deadline, amount_refunded, police_referrals)
                                   <> (0, 0, 0, 0, 0, 0, 0)
                             EXCEPT SELECT merchant_id, platform_id, month, ARRAY[sum(v[1]), sum(v[2]), sum(v[3]), sum(v[4]), sum(v[5]), sum(v[6]), sum(v[7])]
                             FROM (SELECT merchant_id, platform_id, date_trunc('month', submitted_on)::date AS month,
                                          redress_merchant_contribution(c) AS v FROM complaints c WHERE merchant_id IS NOT NULL) x
                             GROUP BY 1, 2, 3)) r)
                """), as: Int64.self)
            return Int(discrepancies ?? -1)
        }
    }

    /// A count of the buckets whose arrays of response seconds (`table`, by `key`) differ from the
    /// response times of their complaints (by `bucket`), as whole seconds from 0.
    static func responseSecondsDiscrepancies(table: String, key: String, bucket: String) -> String {
        let truth = """
            SELECT platform_id, \(bucket), category, array_agg(greatest(floor(seconds), 0)::integer ORDER BY floor(seconds))
            FROM complaint_response_times GROUP BY 1, 2, 3
            """
        let kept = "SELECT platform_id, \(key), category, array_agg(v ORDER BY v) FROM \(table), unnest(seconds) v GROUP BY 1, 2, 3"
        return "(SELECT count(*) FROM ((\(truth) EXCEPT \(kept)) UNION ALL (\(kept) EXCEPT \(truth))) d)"
    }
}
