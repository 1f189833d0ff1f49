import Foundation
import RedressCore
import RedressStore

/// A rate with its numerator and denominator; `value` is `null` when there is nothing to divide by.
struct RateResponse: Encodable, Sendable {
    let value: Double?
    let numerator: Int
    let denominator: Int

    init(_ rate: Rate) {
        value = rate.value
        numerator = rate.numerator
        denominator = rate.denominator
    }

    enum CodingKeys: String, CodingKey { case value, numerator, denominator }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(value, forKey: .value)
        try container.encode(numerator, forKey: .numerator)
        try container.encode(denominator, forKey: .denominator)
    }
}

/// Every metric of one set of complaints (Docs/metrics.md). Absent values are `null`, never left out.
struct MetricsResponse: Encodable, Sendable {
    let complaints: Int
    let responded: Int
    let respondedOnTime: Int
    let awaitingResponse: Int
    let resolved: Int
    let escalated: Int
    let withdrawn: Int
    let responseRate: RateResponse
    let onTimeRate: RateResponse
    let resolutionRate: RateResponse
    let escalationRate: RateResponse
    /// Left out (not `null`) where medians are not computed (the public report).
    let medianFirstResponseHours: Double??
    let amountClaimed: Int
    let amountRefunded: Int
    let currency = "CNY"
    let satisfaction: Double?
    let ratings: Int

    init(_ counts: StatisticsCounts, responseTimes: ResponseTimeSummary?, withMedian: Bool) {
        complaints = counts.complaints
        responded = counts.responded
        respondedOnTime = counts.respondedOnTime
        awaitingResponse = counts.awaitingResponse
        resolved = counts.resolved
        escalated = counts.escalated
        withdrawn = counts.withdrawn
        responseRate = RateResponse(counts.responseRate)
        onTimeRate = RateResponse(counts.onTimeRate)
        resolutionRate = RateResponse(counts.resolutionRate)
        escalationRate = RateResponse(counts.escalationRate)
        medianFirstResponseHours = withMedian ? .some(responseTimes?.medianHours) : .none
        amountClaimed = counts.amountClaimed
        amountRefunded = counts.amountRefunded
        satisfaction = counts.satisfaction
        ratings = counts.ratings
    }

    enum CodingKeys: String, CodingKey {
        case complaints, responded, respondedOnTime, awaitingResponse, resolved, escalated, withdrawn, responseRate, onTimeRate,
            resolutionRate, escalationRate, medianFirstResponseHours, amountClaimed, amountRefunded, currency, satisfaction, ratings
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(complaints, forKey: .complaints)
        try container.encode(responded, forKey: .responded)
        try container.encode(respondedOnTime, forKey: .respondedOnTime)
        try container.encode(awaitingResponse, forKey: .awaitingResponse)
        try container.encode(resolved, forKey: .resolved)
        try container.encode(escalated, forKey: .escalated)
        try container.encode(withdrawn, forKey: .withdrawn)
        try container.encode(responseRate, forKey: .responseRate)
        try container.encode(onTimeRate, forKey: .onTimeRate)
        try container.encode(resolutionRate, forKey: .resolutionRate)
        try container.encode(escalationRate, forKey: .escalationRate)
        if case .some(let median) = medianFirstResponseHours { try container.encode(median, forKey: .medianFirstResponseHours) }
        try container.encode(amountClaimed, forKey: .amountClaimed)
        try container.encode(amountRefunded, forKey: .amountRefunded)
        try container.encode(currency, forKey: .currency)
        try container.encode(satisfaction, forKey: .satisfaction)
        try container.encode(ratings, forKey: .ratings)
    }
}

struct PlatformNameResponse: Encodable, Sendable {
    let id: ResourceID
    let name: String
}

struct CategoryMetricsResponse: Encodable, Sendable {
    let category: String
    let metrics: MetricsResponse
}

struct PeriodMetricsResponse: Encodable, Sendable {
    /// `2026-01` for a month, `2026-01-05` for a day.
    let period: String
    let metrics: MetricsResponse
}

/// One platform's statistics for a period: totals, per category and a series.
struct PlatformStatisticsResponse: Encodable, Sendable {
    let platform: PlatformNameResponse
    let from: String
    let to: String
    let granularity: String
    let timeZone: String
    let totals: MetricsResponse
    let byCategory: [CategoryMetricsResponse]
    let series: [PeriodMetricsResponse]?

    init(
        platform: PlatformRecord, statistics: PlatformStatistics?, period: StatisticsPeriod, granularity: StatisticsGranularity,
        timeZone: TimeZone, withSeries: Bool
    ) {
        let statistics = statistics ?? PlatformStatistics(platformID: platform.id)
        self.platform = PlatformNameResponse(id: ResourceID(platform.id), name: platform.name)
        from = period.from.description
        to = period.to.description
        self.granularity = granularity.rawValue
        self.timeZone = timeZone.identifier
        totals = MetricsResponse(statistics.totals, responseTimes: statistics.responseTimes, withMedian: true)
        // Every category and every bucket, zeros included: a chart needs its gaps.
        byCategory = ComplaintCategory.allCases.map { category in
            CategoryMetricsResponse(
                category: category.rawValue,
                metrics: MetricsResponse(
                    statistics.byCategory[category.rawValue] ?? StatisticsCounts(),
                    responseTimes: statistics.responseTimesByCategory[category.rawValue], withMedian: true))
        }
        series = withSeries ? Self.buckets(of: period, granularity: granularity).map { bucket in
            PeriodMetricsResponse(
                period: Self.label(bucket, granularity: granularity),
                metrics: MetricsResponse(
                    statistics.series[bucket] ?? StatisticsCounts(), responseTimes: statistics.responseTimesBySeries[bucket],
                    withMedian: true))
        } : nil
    }

    static func buckets(of period: StatisticsPeriod, granularity: StatisticsGranularity) -> [LocalDate] {
        switch granularity {
        case .month:
            return period.months
        case .day:
            return (0...period.from.days(until: period.to)).map { period.from.adding(days: $0) }
        }
    }

    static func label(_ bucket: LocalDate, granularity: StatisticsGranularity) -> String {
        granularity == .month ? String(bucket.description.prefix(7)) : bucket.description
    }
}
