import Foundation

/// The additive counters of a set of complaints (one platform's, in one period, maybe one category):
/// what the rollups store. Docs/metrics.md defines each.
public struct StatisticsCounts: Sendable, Equatable {
    /// Every complaint submitted: a public count whatever became of it.
    public var complaints = 0
    /// In the denominators: not invalid, and not withdrawn unanswered before the standard deadline.
    public var counted = 0
    /// Counted and answered, or past the standard deadline: the base of the response rates (a case
    /// still inside its standard deadline is not late yet).
    public var due = 0
    public var responded = 0
    public var respondedOnTime = 0
    /// No first response yet and still waiting for one (awaiting the merchant or the platform).
    public var awaitingResponse = 0
    public var resolvedMonetary = 0
    public var resolvedNonMonetary = 0
    /// Closed by accepting a reasoned rejection: an outcome, not a resolution.
    public var closedWithExplanation = 0
    /// Closed because nobody accepted anything by the closing time.
    public var closedUnresolved = 0
    public var escalated = 0
    public var withdrawn = 0
    public var invalid = 0
    /// Minor units (fen).
    public var amountClaimed = 0
    public var amountRefunded = 0
    public var ratings = 0
    public var ratingSum = 0
    /// Counted cases where a mediator confirmed a flag: an unfair term, a retaliation threat (one each
    /// per case).
    public var unfairTermsConfirmed = 0
    public var threatsConfirmed = 0
    /// Counted cases by the mediator's finding of fault; cases found to be the consumer's own error are
    /// not counted (they leave the rates) and are counted here instead.
    public var foundPlatform = 0
    public var foundMerchant = 0
    public var foundShared = 0
    public var foundConsumerError = 0
    /// Counted, two or more holding replies (`acknowledge`) and no answer: a platform that stalls.
    public var heldWithoutAnswer = 0
    /// Counted, and referred outward (12315, a court, the police): after a failed mediation, or straight
    /// from a platform that failed.
    public var referred = 0
    /// Counted, and filed by a consumer who complained about the same platform in the 90 days before:
    /// answers that did not solve the problem.
    public var repeatComplaints = 0
    /// Counted, and part of a collective case (one problem, many consumers, one proposal).
    public var collective = 0

    public init() {}

    /// The counters in the order of the rollups' columns and of `redress_statistics_contribution`.
    public static let counters: [(column: String, keyPath: any WritableKeyPath<StatisticsCounts, Int> & Sendable)] = [
        ("complaints", \.complaints), ("counted", \.counted), ("due", \.due), ("responded", \.responded),
        ("responded_on_time", \.respondedOnTime), ("awaiting_response", \.awaitingResponse),
        ("resolved_monetary", \.resolvedMonetary), ("resolved_non_monetary", \.resolvedNonMonetary),
        ("closed_with_explanation", \.closedWithExplanation), ("closed_unresolved", \.closedUnresolved), ("escalated", \.escalated), ("withdrawn", \.withdrawn),
        ("invalid", \.invalid), ("amount_claimed", \.amountClaimed), ("amount_refunded", \.amountRefunded),
        ("ratings", \.ratings), ("rating_sum", \.ratingSum), ("unfair_terms_confirmed", \.unfairTermsConfirmed),
        ("threats_confirmed", \.threatsConfirmed), ("found_platform", \.foundPlatform), ("found_merchant", \.foundMerchant),
        ("found_shared", \.foundShared), ("found_consumer_error", \.foundConsumerError), ("held_without_answer", \.heldWithoutAnswer),
        ("referred", \.referred), ("repeat_complaints", \.repeatComplaints), ("collective", \.collective),
    ]

    /// The counts from values in the order of `counters`.
    public init(values: [Int]) {
        for (index, counter) in Self.counters.enumerated() where index < values.count { self[keyPath: counter.keyPath] = values[index] }
    }

    /// Saturating, so that a figure stored before amounts were bounded cannot stop the service.
    public static func + (lhs: StatisticsCounts, rhs: StatisticsCounts) -> StatisticsCounts {
        var sum = StatisticsCounts()
        for counter in counters {
            sum[keyPath: counter.keyPath] = Money.saturatingAdd(lhs[keyPath: counter.keyPath], rhs[keyPath: counter.keyPath])
        }
        return sum
    }

    /// Closed with relief, confirmed delivered: money, or a remedy without money.
    public var resolved: Int { Money.saturatingAdd(resolvedMonetary, resolvedNonMonetary) }

    public var responseRate: Rate { Rate(responded, of: due) }
    public var onTimeRate: Rate { Rate(respondedOnTime, of: due) }
    public var resolutionRate: Rate { Rate(resolved, of: counted) }
    public var escalationRate: Rate { Rate(escalated, of: counted) }
    public var repeatRate: Rate { Rate(repeatComplaints, of: counted) }

    /// The mean rating, to 2 decimals; `nil` without ratings.
    public var satisfaction: Double? {
        ratings == 0 ? nil : (Double(ratingSum) / Double(ratings) * 100).rounded() / 100
    }

    /// These counts without the ratings: where so few ratings are summed that one could be told
    /// apart (Docs/metrics.md, "Ratings").
    public var withoutRatings: StatisticsCounts {
        var counts = self
        counts.ratings = 0
        counts.ratingSum = 0
        return counts
    }
}

/// A rate with what it is made of: `value` is numerator / denominator to 4 decimals, `nil` when the
/// denominator is 0 (no complaints: no rate, rather than a misleading 0).
public struct Rate: Sendable, Equatable {
    public let numerator: Int
    public let denominator: Int

    public init(_ numerator: Int, of denominator: Int) {
        self.numerator = numerator
        self.denominator = denominator
    }

    public var value: Double? {
        denominator == 0 ? nil : (Double(numerator) / Double(denominator) * 10_000).rounded() / 10_000
    }
}

/// How a series of statistics is cut.
public enum StatisticsGranularity: String, Sendable, CaseIterable {
    case day
    case month
}

/// A period of submission days, both ends included, in the deployment's time zone.
public struct StatisticsPeriod: Sendable, Hashable {
    public let from: LocalDate
    public let to: LocalDate

    /// The longest period a request may ask for: ten years by month, a year and a day by day.
    public static let maximumDays: [StatisticsGranularity: Int] = [.month: 3_660, .day: 366]

    public init(from: LocalDate, to: LocalDate) {
        self.from = from
        self.to = to
    }

    /// The period of the `from`/`to` query parameters, validated; by default the twelve months up to
    /// and including `today`'s.
    public static func parse(
        from: String?, to: String?, granularity: StatisticsGranularity, today: LocalDate, fields: inout FieldValidator
    ) -> StatisticsPeriod {
        let end = to.map { LocalDate($0) } ?? today
        let start = from.map { LocalDate($0) } ?? end.map { $0.firstOfMonth.addingMonths(-11) }
        if end == nil { fields.fail("to", "invalid_date") }
        if start == nil { fields.fail("from", "invalid_date") }
        guard let start, let end else { return StatisticsPeriod(from: today, to: today) }
        if !LocalDate.supported.contains(start) {
            fields.fail("from", "out_of_range")
        } else if !LocalDate.supported.contains(end) {
            fields.fail("to", "out_of_range")
        } else if end < start {
            fields.fail("to", "before_from")
        } else if start.days(until: end) + 1 > maximumDays[granularity]! {
            fields.fail("to", "period_too_long")
        }
        return StatisticsPeriod(from: start, to: end)
    }

    /// The whole months inside the period (`start` ..< `end`, both first days of a month), if any:
    /// they are read from the monthly rollup, the days outside them from the daily one.
    public var wholeMonths: (start: LocalDate, end: LocalDate)? {
        let start = from.day == 1 ? from : from.firstOfMonth.addingMonths(1)
        let end = to == to.lastOfMonth ? to.firstOfMonth.addingMonths(1) : to.firstOfMonth
        return start < end ? (start, end) : nil
    }

    /// The period widened to whole months: the first day of `from`'s month to the last of `to`'s.
    /// Public figures are cut only by month, so that no two public periods differ by a few days.
    public var wholeMonthsAround: StatisticsPeriod {
        StatisticsPeriod(from: from.firstOfMonth, to: to.lastOfMonth)
    }

    /// The first day of every month the period touches.
    public var months: [LocalDate] {
        var months: [LocalDate] = []
        var month = from.firstOfMonth
        while month <= to {
            months.append(month)
            month = month.addingMonths(1)
        }
        return months
    }
}

/// The median of a set of first-response times, with how many there were.
public struct ResponseTimeSummary: Sendable, Equatable {
    public let responses: Int
    /// Hours, to 2 decimals; the mean of the two middle values when their number is even.
    public let medianHours: Double?

    public init(responses: Int, medianSeconds: Double?) {
        self.responses = responses
        self.medianHours = medianSeconds.map { ($0 / 3600 * 100).rounded() / 100 }
    }
}

extension LocalDate {
    public var firstOfMonth: LocalDate { LocalDate(year: year, month: month, day: 1) }
    public var lastOfMonth: LocalDate { LocalDate(year: year, month: month, day: LocalDate.daysIn(month: month, year: year)) }

    /// The first day of the month `count` months away (negative: earlier), from a month's first day.
    public func addingMonths(_ count: Int) -> LocalDate {
        let index = year * 12 + (month - 1) + count
        return LocalDate(year: index / 12, month: index % 12 + 1, day: 1)
    }

    /// The number of days from this date to `other` (negative when `other` is earlier).
    public func days(until other: LocalDate) -> Int {
        other.dayNumber - dayNumber
    }

    /// Days since 0000-03-01 in the proleptic Gregorian calendar (a civil-from-days inverse).
    var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let m = month <= 2 ? month + 9 : month - 3
        return 365 * y + y / 4 - y / 100 + y / 400 + (153 * m + 2) / 5 + day - 1
    }
}
