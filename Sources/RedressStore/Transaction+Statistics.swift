import Foundation
import PostgresNIO
import RedressCore

/// One platform's counters for a period, overall, per category and per period bucket (a day or the
/// first day of a month).
public struct PlatformStatistics: Sendable {
    public let platformID: UUID
    public var totals = StatisticsCounts()
    public var byCategory: [String: StatisticsCounts] = [:]
    public var series: [LocalDate: StatisticsCounts] = [:]
    /// Filled only when medians were asked for.
    public var responseTimes: ResponseTimeSummary?
    public var responseTimesByCategory: [String: ResponseTimeSummary] = [:]
    public var responseTimesBySeries: [LocalDate: ResponseTimeSummary] = [:]

    public init(platformID: UUID) {
        self.platformID = platformID
    }
}

extension Transaction {
    /// The statistics of the platforms (`nil`: every platform the caller may read) for complaints
    /// submitted in `period`, read from the rollups: whole months from the monthly one, the other days
    /// from the daily one. Medians come from the response times, which is a scan of every answered
    /// complaint of the period: ask for them only where that is affordable.
    public func platformStatistics(
        platformIDs: [UUID]?, period: StatisticsPeriod, granularity: StatisticsGranularity, medians: Bool
    ) async throws -> [UUID: PlatformStatistics] {
        var result: [UUID: PlatformStatistics] = [:]
        let everyPlatform = platformIDs == nil
        let ids = platformIDs ?? []
        let from = period.from.description, to = period.to.description
        // Amounts are bounded at intake, so sums stay far inside bigint; `least` only keeps a value
        // stored before those bounds from failing every report that covers it.
        // With no whole month (or by day) the monthly rollup is not read: an empty range.
        let months = granularity == .month ? period.wholeMonths : nil
        let monthsStart = months?.start.description ?? from
        let monthsEndExclusive = months?.end.description ?? from
        let bucket = granularity == .day ? "day" : "date_trunc('month', day)::date"
        let rows = try await query(
            """
            WITH r AS (
                SELECT platform_id, category, \(unescaped: bucket) AS bucket, complaints, responded, responded_on_time,
                       awaiting_response, resolved, escalated, withdrawn, amount_claimed, amount_refunded, ratings, rating_sum
                FROM platform_daily_statistics
                WHERE day BETWEEN \(from)::date AND \(to)::date
                  AND NOT (day >= \(monthsStart)::date AND day < \(monthsEndExclusive)::date)
                  AND (\(everyPlatform) OR platform_id = ANY(\(ids)))
                UNION ALL
                SELECT platform_id, category, month, complaints, responded, responded_on_time,
                       awaiting_response, resolved, escalated, withdrawn, amount_claimed, amount_refunded, ratings, rating_sum
                FROM platform_monthly_statistics
                WHERE month >= \(monthsStart)::date AND month < \(monthsEndExclusive)::date
                  AND (\(everyPlatform) OR platform_id = ANY(\(ids)))
            )
            SELECT platform_id, category, to_char(bucket, 'YYYY-MM-DD'), GROUPING(category, bucket),
                   sum(complaints)::bigint, sum(responded)::bigint, sum(responded_on_time)::bigint,
                   sum(awaiting_response)::bigint, sum(resolved)::bigint, sum(escalated)::bigint, sum(withdrawn)::bigint,
                   least(sum(amount_claimed), \(Int64.max))::bigint, least(sum(amount_refunded), \(Int64.max))::bigint,
                   sum(ratings)::bigint, sum(rating_sum)::bigint
            FROM r
            GROUP BY GROUPING SETS ((platform_id), (platform_id, category), (platform_id, bucket))
            """)
        for try await row in rows {
            let columns = try row.decode(
                (UUID, String?, String?, Int, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64).self)
            var counts = StatisticsCounts()
            counts.complaints = Int(columns.4)
            counts.responded = Int(columns.5)
            counts.respondedOnTime = Int(columns.6)
            counts.awaitingResponse = Int(columns.7)
            counts.resolved = Int(columns.8)
            counts.escalated = Int(columns.9)
            counts.withdrawn = Int(columns.10)
            counts.amountClaimed = Int(columns.11)
            counts.amountRefunded = Int(columns.12)
            counts.ratings = Int(columns.13)
            counts.ratingSum = Int(columns.14)
            var statistics = result[columns.0] ?? PlatformStatistics(platformID: columns.0)
            switch (columns.1, columns.2.flatMap(LocalDate.init)) {
            case (let category?, _): statistics.byCategory[category] = counts
            case (nil, let bucket?): statistics.series[bucket] = counts
            default: statistics.totals = counts
            }
            result[columns.0] = statistics
        }
        if medians {
            try await addResponseTimes(to: &result, platformIDs: platformIDs, period: period, granularity: granularity)
        }
        return result
    }

    private func addResponseTimes(
        to result: inout [UUID: PlatformStatistics], platformIDs: [UUID]?, period: StatisticsPeriod, granularity: StatisticsGranularity
    ) async throws {
        let bucket = granularity == .day ? "submitted_on" : "date_trunc('month', submitted_on)::date"
        let rows = try await query(
            """
            SELECT platform_id, category, to_char(bucket, 'YYYY-MM-DD'), count(*)::bigint,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds)
            FROM (SELECT platform_id, category, \(unescaped: bucket) AS bucket, seconds FROM complaint_response_times
                  WHERE submitted_on BETWEEN \(period.from.description)::date AND \(period.to.description)::date
                    AND (\(platformIDs == nil) OR platform_id = ANY(\(platformIDs ?? [])))) r
            GROUP BY GROUPING SETS ((platform_id), (platform_id, category), (platform_id, bucket))
            """)
        for try await (platformID, category, bucket, count, median) in rows.decode((UUID, String?, String?, Int64, Double?).self) {
            let summary = ResponseTimeSummary(responses: Int(count), medianSeconds: median)
            var statistics = result[platformID] ?? PlatformStatistics(platformID: platformID)
            switch (category, bucket.flatMap(LocalDate.init)) {
            case (let category?, _): statistics.responseTimesByCategory[category] = summary
            case (nil, let bucket?): statistics.responseTimesBySeries[bucket] = summary
            default: statistics.responseTimes = summary
            }
            result[platformID] = statistics
        }
    }
}

extension Transaction {
    /// What the public report is built from: every platform of the directory with its counters for
    /// the period and per month (no medians: they would scan every answered complaint).
    public func publicReportSources(period: StatisticsPeriod) async throws -> [PublicReport.Source] {
        let period = period.wholeMonthsAround
        var names: [(UUID, String)] = []
        for try await (id, name) in try await query("SELECT id, name FROM organizations WHERE kind = 'platform'").decode((UUID, String).self) {
            names.append((id, name))
        }
        let statistics = try await platformStatistics(platformIDs: nil, period: period, granularity: .month, medians: false)
        return names.map { id, name in
            PublicReport.Source(platformID: id, platformName: name, months: statistics[id]?.series ?? [:])
        }
    }
}
