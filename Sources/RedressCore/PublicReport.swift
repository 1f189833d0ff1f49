import Foundation

/// The anonymous public report: per platform, its counters for a period, ranked, with a monthly
/// trend. Only platform-level aggregates go in; Docs/metrics.md ("The public report") is the rule
/// for withholding and ranking.
public struct PublicReport: Sendable, Equatable {
    public struct Month: Sendable, Equatable {
        /// The month's first day.
        public let month: LocalDate
        public let counts: StatisticsCounts
        /// Fewer complaints than the minimum: only `counts.complaints` may be shown.
        public let withheld: Bool
    }

    public struct Entry: Sendable, Equatable {
        public let platformID: UUID
        public let platformName: String
        /// 1 is best; equal on every ranking key, equal rank; `nil` when withheld.
        public let rank: Int?
        public let counts: StatisticsCounts
        public let withheld: Bool
        public let trend: [Month]
    }

    public let period: StatisticsPeriod
    public let minimumComplaints: Int
    /// Ranked platforms first (best first), then the withheld ones by number of complaints.
    public let entries: [Entry]
    /// Every platform together, month by month.
    public let trend: [Month]

    /// One platform as the report is built from it.
    public struct Source: Sendable {
        public let platformID: UUID
        public let platformName: String
        public let totals: StatisticsCounts
        /// Keyed by the month's first day; missing months had no complaints.
        public let months: [LocalDate: StatisticsCounts]

        public init(platformID: UUID, platformName: String, totals: StatisticsCounts, months: [LocalDate: StatisticsCounts]) {
            self.platformID = platformID
            self.platformName = platformName
            self.totals = totals
            self.months = months
        }
    }

    public init(period: StatisticsPeriod, minimumComplaints: Int, sources: [Source]) {
        self.period = period
        self.minimumComplaints = minimumComplaints
        let months = period.months
        func trend(_ counts: [LocalDate: StatisticsCounts], withholding: Bool) -> [Month] {
            months.map { month in
                let value = counts[month] ?? StatisticsCounts()
                return Month(month: month, counts: value, withheld: withholding && value.complaints < minimumComplaints)
            }
        }
        let published = sources.filter { $0.totals.complaints >= minimumComplaints }.sorted(by: Self.ranksBefore)
        let withheld = sources.filter { $0.totals.complaints < minimumComplaints }.sorted {
            ($0.totals.complaints, $1.platformName) > ($1.totals.complaints, $0.platformName)
        }
        var entries: [Entry] = []
        var rank = 0
        for (index, source) in published.enumerated() {
            if index == 0 || Self.rankingKey(published[index - 1]) != Self.rankingKey(source) { rank = index + 1 }
            entries.append(
                Entry(platformID: source.platformID, platformName: source.platformName, rank: rank, counts: source.totals,
                      withheld: false, trend: trend(source.months, withholding: true)))
        }
        for source in withheld {
            entries.append(
                Entry(platformID: source.platformID, platformName: source.platformName, rank: nil, counts: source.totals,
                      withheld: true, trend: trend(source.months, withholding: true)))
        }
        self.entries = entries
        var total: [LocalDate: StatisticsCounts] = [:]
        for source in sources {
            for (month, counts) in source.months { total[month] = (total[month] ?? StatisticsCounts()) + counts }
        }
        self.trend = trend(total, withholding: false)
    }

    /// On-time rate, then resolution rate, then response rate, higher first, compared exactly (as
    /// cross products, not rounded values).
    static func rankingKey(_ source: Source) -> [Fraction] {
        let counts = source.totals
        return [Fraction(counts.respondedOnTime, counts.complaints), Fraction(counts.resolved, counts.complaints),
                Fraction(counts.responded, counts.complaints)]
    }

    static func ranksBefore(_ lhs: Source, _ rhs: Source) -> Bool {
        let left = rankingKey(lhs), right = rankingKey(rhs)
        for (a, b) in zip(left, right) where a != b { return a > b }
        if lhs.totals.complaints != rhs.totals.complaints { return lhs.totals.complaints > rhs.totals.complaints }
        return lhs.platformName < rhs.platformName
    }

    /// A non-negative fraction compared exactly.
    struct Fraction: Comparable {
        let numerator: Int
        let denominator: Int
        init(_ numerator: Int, _ denominator: Int) {
            self.numerator = numerator
            self.denominator = max(denominator, 1)
        }
        static func == (lhs: Fraction, rhs: Fraction) -> Bool { lhs.numerator * rhs.denominator == rhs.numerator * lhs.denominator }
        static func < (lhs: Fraction, rhs: Fraction) -> Bool { lhs.numerator * rhs.denominator < rhs.numerator * lhs.denominator }
    }
}
