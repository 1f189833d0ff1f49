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

/// The period's bounds as a statistics statement binds them: the days of the period, and the whole
/// months read from the monthly tables (by day, or with no whole month, an empty range: nothing).
/// The daily tables are read for the days before and after those months, two ranges an index
/// answers also in a generic plan (which a `NOT` around the months' range made a scan of every day
/// of the platforms: 134 ms for the public report).
private struct StatisticsRange {
    let from: String
    let to: String
    let monthsStart: String
    let monthsEnd: String
    let byDay: Bool

    init(_ period: StatisticsPeriod, granularity: StatisticsGranularity) {
        from = period.from.description
        to = period.to.description
        let months = granularity == .month ? period.wholeMonths : nil
        monthsStart = months?.start.description ?? from
        monthsEnd = months?.end.description ?? from
        byDay = granularity == .day
    }

    func bind(_ platformIDs: [UUID]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 6)
        bindings.append(platformIDs)
        bindings.append(from)
        bindings.append(to)
        bindings.append(monthsStart)
        bindings.append(monthsEnd)
        bindings.append(byDay)
        return bindings
    }
}

/// The counters of platforms for a period, overall, per category and per bucket (a day, or the
/// first day of a month). Prepared: planning it under row-level security cost more than running it.
/// Amounts are bounded at intake, so sums stay far inside bigint; `least` only keeps a value stored
/// before those bounds from failing every report that covers it.
private struct StatisticsCountersStatement: FixedStatement {
    static let sql: String = {
        let columns = StatisticsCounts.counters.map(\.column)
        let listed = columns.joined(separator: ", ")
        let sums = columns.map { column in
            column.hasPrefix("amount_") ? "least(sum(\(column)), \(Int64.max))::bigint" : "sum(\(column))::bigint"
        }.joined(separator: ", ")
        return """
            WITH r AS (
                SELECT platform_id, category, CASE WHEN $6 THEN day ELSE date_trunc('month', day)::date END AS bucket, \(listed)
                FROM platform_daily_statistics
                WHERE platform_id = ANY($1) AND ((day >= $2::date AND day < $4::date) OR (day >= $5::date AND day <= $3::date))
                UNION ALL
                SELECT platform_id, category, month, \(listed)
                FROM platform_monthly_statistics
                WHERE platform_id = ANY($1) AND month >= $4::date AND month < $5::date
            )
            SELECT platform_id, category, to_char(bucket, 'YYYY-MM-DD'), ARRAY[\(sums)]
            FROM r
            GROUP BY GROUPING SETS ((platform_id), (platform_id, category), (platform_id, bucket))
            """
    }()
    let platformIDs: [UUID]
    let range: StatisticsRange

    func makeBindings() -> PostgresBindings { range.bind(platformIDs) }
}

/// The response seconds of platforms for a period: one row per array (whole months from the
/// monthly ones, a year's some fifty rows per platform), joined here rather than in PostgreSQL, where
/// concatenating a collapsed month's many parts copies what it has gathered again for each part.
private struct ResponseSecondsStatement: FixedStatement {
    static let sql = """
        SELECT platform_id, to_char(CASE WHEN $6 THEN day ELSE date_trunc('month', day)::date END, 'YYYY-MM-DD'), category, seconds
        FROM platform_response_seconds
        WHERE platform_id = ANY($1) AND ((day >= $2::date AND day < $4::date) OR (day >= $5::date AND day <= $3::date))
        UNION ALL
        SELECT platform_id, to_char(month, 'YYYY-MM-DD'), category, seconds FROM platform_monthly_response_seconds
        WHERE platform_id = ANY($1) AND month >= $4::date AND month < $5::date
        """
    let platformIDs: [UUID]
    let range: StatisticsRange

    func makeBindings() -> PostgresBindings { range.bind(platformIDs) }
}

extension Transaction {
    /// The statistics of the platforms for complaints submitted in `period`, read from the rollups:
    /// whole months from the monthly ones, the other days from the daily ones. Medians read every
    /// answered complaint's response time of the period (as whole seconds, up to 1,024 per array):
    /// ask for them only where that is affordable.
    public func platformStatistics(
        platformIDs: [UUID], period: StatisticsPeriod, granularity: StatisticsGranularity, medians: Bool
    ) async throws -> [UUID: PlatformStatistics] {
        var result: [UUID: PlatformStatistics] = [:]
        let range = StatisticsRange(period, granularity: granularity)
        let counters = StatisticsCounts.counters.count
        for try await row in try await execute(StatisticsCountersStatement(platformIDs: platformIDs, range: range)) {
            let cells = row.makeRandomAccess()
            let platformID = try cells[0].decode(UUID.self)
            let category = try cells[1].decode(String?.self)
            let bucket = try cells[2].decode(String?.self).flatMap(LocalDate.init)
            let values = try cells[3].decode(Int64Column.self).values
            guard values.count == counters else { throw PostgresDecodingError.Code.failure }
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
            try await addResponseTimes(to: &result, platformIDs: platformIDs, range: range)
        }
        return result
    }

    /// Medians from the response seconds (short arrays per platform, category and submission month or
    /// day): the values of each grouping are gathered here and their middle selected, with no sort.
    private func addResponseTimes(to result: inout [UUID: PlatformStatistics], platformIDs: [UUID], range: StatisticsRange) async throws {
        struct Groups {
            var total: [Int32] = []
            var byCategory: [String: [Int32]] = [:]
            var byBucket: [LocalDate: [Int32]] = [:]
        }
        var groups: [UUID: Groups] = [:]
        let rows = try await execute(ResponseSecondsStatement(platformIDs: platformIDs, range: range))
        for try await (platformID, bucket, category, column) in rows.decode((UUID, String, String, Int32Column).self) {
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
        let statistics = try await platformStatistics(
            platformIDs: platforms.map(\.id), period: period, granularity: .month, medians: false)
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
