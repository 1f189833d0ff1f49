import Foundation
import RedressCore
import RedressStore

/// A rate with its numerator and denominator; `value` is `null` when there is nothing to divide by.
struct RateResponse: Encodable, Sendable {
    let value: Nullable<Double>
    let numerator: Int
    let denominator: Int

    init(_ rate: Rate) {
        value = Nullable(rate.value)
        numerator = rate.numerator
        denominator = rate.denominator
    }
}

/// Every metric of one set of complaints (Docs/metrics.md). Absent values are `null`, never left out.
struct MetricsResponse: Encodable, Sendable {
    let complaints: Int
    let counted: Int
    let due: Int
    let responded: Int
    let respondedOnTime: Int
    let awaitingResponse: Int
    let resolved: Int
    let resolvedMonetary: Int
    let resolvedNonMonetary: Int
    let closedWithExplanation: Int
    let closedUnresolved: Int
    let escalated: Int
    /// Cases where a mediator confirmed an unfair term, a retaliation threat.
    let unfairTermsConfirmed: Int
    let threatsConfirmed: Int
    /// Cases by the mediator's finding of fault (Docs/metrics.md).
    let foundPlatform: Int
    let foundMerchant: Int
    let foundShared: Int
    let foundConsumerError: Int
    /// Two or more holding replies and no answer: stalling, for the mediation bodies to see.
    let heldWithoutAnswer: Int
    /// Referred outward (12315, a court, the police).
    let referred: Int
    /// By a consumer who complained about the platform in the 90 days before; part of a collective case.
    let repeatComplaints: Int
    let collective: Int
    let withdrawn: Int
    let invalid: Int
    let responseRate: RateResponse
    let onTimeRate: RateResponse
    let resolutionRate: RateResponse
    let escalationRate: RateResponse
    let repeatRate: RateResponse
    /// Left out (not `null`) where medians are not computed.
    let medianFirstResponseHours: Nullable<Double>?
    let amountClaimed: Int
    let amountRefunded: Int
    let currency = "CNY"
    let satisfaction: Nullable<Double>
    let ratings: Int

    init(_ counts: StatisticsCounts, responseTimes: ResponseTimeSummary?, withMedian: Bool) {
        complaints = counts.complaints
        counted = counts.counted
        due = counts.due
        responded = counts.responded
        respondedOnTime = counts.respondedOnTime
        awaitingResponse = counts.awaitingResponse
        resolved = counts.resolved
        resolvedMonetary = counts.resolvedMonetary
        resolvedNonMonetary = counts.resolvedNonMonetary
        closedWithExplanation = counts.closedWithExplanation
        closedUnresolved = counts.closedUnresolved
        escalated = counts.escalated
        unfairTermsConfirmed = counts.unfairTermsConfirmed
        threatsConfirmed = counts.threatsConfirmed
        foundPlatform = counts.foundPlatform
        foundMerchant = counts.foundMerchant
        foundShared = counts.foundShared
        foundConsumerError = counts.foundConsumerError
        heldWithoutAnswer = counts.heldWithoutAnswer
        referred = counts.referred
        repeatComplaints = counts.repeatComplaints
        collective = counts.collective
        withdrawn = counts.withdrawn
        invalid = counts.invalid
        responseRate = RateResponse(counts.responseRate)
        onTimeRate = RateResponse(counts.onTimeRate)
        resolutionRate = RateResponse(counts.resolutionRate)
        escalationRate = RateResponse(counts.escalationRate)
        repeatRate = RateResponse(counts.repeatRate)
        medianFirstResponseHours = withMedian ? Nullable(responseTimes?.medianHours) : nil
        amountClaimed = counts.amountClaimed
        amountRefunded = counts.amountRefunded
        satisfaction = Nullable(counts.satisfaction)
        ratings = counts.ratings
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
        timeZone: TimeZone, withSeries: Bool, showsRatings: Bool
    ) {
        var statistics = statistics ?? PlatformStatistics(platformID: platform.id)
        if !showsRatings {
            // A platform reading its own figures by day could tell one consumer's rating apart.
            statistics.totals = statistics.totals.withoutRatings
            statistics.byCategory = statistics.byCategory.mapValues(\.withoutRatings)
            statistics.series = statistics.series.mapValues(\.withoutRatings)
        }
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
