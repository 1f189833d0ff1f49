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
    /// from the daily one. Medians read every answered complaint's response time of the period (as
    /// whole seconds, some thousand per array): ask for them only where that is affordable.
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
        let columns = StatisticsCounts.counters.map(\.column)
        let listed = columns.joined(separator: ", ")
        let sums = columns.map { column in
            column.hasPrefix("amount_") ? "least(sum(\(column)), \(Int64.max))::bigint" : "sum(\(column))::bigint"
        }.joined(separator: ", ")
        let rows = try await query(
            """
            WITH r AS (
                SELECT platform_id, category, \(unescaped: bucket) AS bucket, \(unescaped: listed)
                FROM platform_daily_statistics
                WHERE day BETWEEN \(from)::date AND \(to)::date
                  AND NOT (day >= \(monthsStart)::date AND day < \(monthsEndExclusive)::date)
                  AND (\(everyPlatform) OR platform_id = ANY(\(ids)))
                UNION ALL
                SELECT platform_id, category, month, \(unescaped: listed)
                FROM platform_monthly_statistics
                WHERE month >= \(monthsStart)::date AND month < \(monthsEndExclusive)::date
                  AND (\(everyPlatform) OR platform_id = ANY(\(ids)))
            )
            SELECT platform_id, category, to_char(bucket, 'YYYY-MM-DD'), ARRAY[\(unescaped: sums)]
            FROM r
            GROUP BY GROUPING SETS ((platform_id), (platform_id, category), (platform_id, bucket))
            """)
        for try await row in rows {
            let cells = row.makeRandomAccess()
            let platformID = try cells[0].decode(UUID.self)
            let category = try cells[1].decode(String?.self)
            let bucket = try cells[2].decode(String?.self).flatMap(LocalDate.init)
            let values = try cells[3].decode(IntegerColumn<Int64>.self).values
            guard values.count == columns.count else { throw PostgresDecodingError.Code.failure }
            let counts = StatisticsCounts(values: values.map { Int($0) })
            var statistics = result[platformID] ?? PlatformStatistics(platformID: platformID)
            switch (category, bucket) {
            case (let category?, _): statistics.byCategory[category] = counts
            case (nil, let bucket?): statistics.series[bucket] = counts
            default: statistics.totals = counts
            }
            result[platformID] = statistics
        }
        if medians {
            try await addResponseTimes(to: &result, platformIDs: platformIDs, period: period, granularity: granularity)
        }
        return result
    }

    /// Medians from the response seconds (short arrays per platform, submission day and category, joined
    /// per category and bucket in PostgreSQL): the values of each grouping are gathered here and their
    /// middle selected, with no sort.
    private func addResponseTimes(
        to result: inout [UUID: PlatformStatistics], platformIDs: [UUID]?, period: StatisticsPeriod, granularity: StatisticsGranularity
    ) async throws {
        struct Groups {
            var total: [Int32] = []
            var byCategory: [String: [Int32]] = [:]
            var byBucket: [LocalDate: [Int32]] = [:]
        }
        var groups: [UUID: Groups] = [:]
        let bucket = granularity == .day ? "day" : "date_trunc('month', day)::date"
        let rows = try await query(
            """
            SELECT platform_id, to_char(bucket, 'YYYY-MM-DD'), category, redress_concat_seconds(seconds)
            FROM (SELECT platform_id, \(unescaped: bucket) AS bucket, category, seconds FROM platform_response_seconds
                  WHERE day BETWEEN \(period.from.description)::date AND \(period.to.description)::date
                    AND (\(platformIDs == nil) OR platform_id = ANY(\(platformIDs ?? [])))) r
            GROUP BY platform_id, bucket, category
            """)
        for try await (platformID, bucket, category, column) in rows.decode((UUID, String, String, IntegerColumn<Int32>).self) {
            guard let bucket = LocalDate(bucket) else { continue }
            let seconds = column.values
            groups[platformID, default: Groups()].total.append(contentsOf: seconds)
            groups[platformID, default: Groups()].byCategory[category, default: []].append(contentsOf: seconds)
            groups[platformID, default: Groups()].byBucket[bucket, default: []].append(contentsOf: seconds)
        }
        func summary(_ values: inout [Int32]) -> ResponseTimeSummary {
            ResponseTimeSummary(responses: values.count, medianSeconds: Median.of(&values))
        }
        for (platformID, var platformGroups) in groups {
            var statistics = result[platformID] ?? PlatformStatistics(platformID: platformID)
            statistics.responseTimes = summary(&platformGroups.total)
            for category in Array(platformGroups.byCategory.keys) {
                statistics.responseTimesByCategory[category] = summary(&platformGroups.byCategory[category]!)
            }
            for bucket in Array(platformGroups.byBucket.keys) {
                statistics.responseTimesBySeries[bucket] = summary(&platformGroups.byBucket[bucket]!)
            }
            result[platformID] = statistics
        }
    }
}

extension Transaction {
    /// What the public report is built from: every platform of the directory with its current
    /// promise and its counters for the period per month (no medians: they would scan every
    /// answered complaint).
    public func publicReportSources(period: StatisticsPeriod) async throws -> [PublicReport.Source] {
        let period = period.wholeMonthsAround
        struct Listed {
            let id: UUID
            let name: String
            let promise: PlatformPromise
            let merchantFirst: Bool
        }
        var platforms: [Listed] = []
        let rows = try await query(
            """
            SELECT o.id, o.name, p.response_days, p.merchant_response_days, p.fulfilment_days, p.merchant_first
            FROM organizations o JOIN platforms p ON p.id = o.id WHERE o.kind = 'platform'
            """)
        for try await (id, name, days, merchantDays, fulfilment, merchantFirst) in rows.decode((UUID, String, Int, Int, Int, Bool).self) {
            platforms.append(
                Listed(
                    id: id, name: name,
                    promise: PlatformPromise(responseDays: days, merchantResponseDays: merchantDays, fulfilmentDays: fulfilment),
                    merchantFirst: merchantFirst))
        }
        let statistics = try await platformStatistics(platformIDs: nil, period: period, granularity: .month, medians: false)
        var ratings: [UUID: [LocalDate: PublicReport.Ratings]] = [:]
        let rated = try await query(
            """
            SELECT platform_id, to_char(month, 'YYYY-MM-DD'), ratings, rating_sum FROM platform_monthly_ratings
            WHERE month BETWEEN \(period.from.description)::date AND \(period.to.description)::date
            """)
        for try await (platformID, month, count, sum) in rated.decode((UUID, String, Int64, Int64).self) {
            guard let month = LocalDate(month) else { continue }
            ratings[platformID, default: [:]][month] = PublicReport.Ratings(count: Int(count), sum: Int(sum))
        }
        return platforms.map { platform in
            PublicReport.Source(
                platformID: platform.id, platformName: platform.name, months: statistics[platform.id]?.series ?? [:],
                ratingsGiven: ratings[platform.id] ?? [:], promise: platform.promise, merchantFirst: platform.merchantFirst)
        }
    }
}
