import Foundation

/// The anonymous public report: per platform, its counters for a period, ranked, with a monthly
/// trend. Only platform-level aggregates go in; Docs/metrics.md ("The public report") is the rule
/// for withholding and ranking.
public struct PublicReport: Sendable, Equatable {
    public struct Month: Sendable, Equatable {
        /// The month's first day.
        public let month: LocalDate
        /// Every complaint of the month: always public.
        public let complaints: Int
        /// The figures that may be shown: the month's own when it is not withheld; for every
        /// platform together, the sum of the platforms' months that are not withheld.
        public let counts: StatisticsCounts
        /// Only `complaints` may be shown: too few of them, or the month is still in progress.
        public let withheld: Bool
        /// The month has not ended: its figures change every day, and two readings a day apart would
        /// tell that day's complaints apart, so they are withheld until it ends.
        public let inProgress: Bool
    }

    public struct Entry: Sendable, Equatable {
        public let platformID: UUID
        public let platformName: String
        /// 1 is best; equal on every ranking key, equal rank; `nil` when withheld.
        public let rank: Int?
        /// Every complaint of the period: always public.
        public let complaints: Int
        /// The sum of the platform's months whose figures are published (`trend`): a period's figures
        /// are never more than the sum of published cells, so no two periods can be subtracted to
        /// isolate a withheld month.
        public let counts: StatisticsCounts
        public let withheld: Bool
        public let trend: [Month]
        /// Complaints of the period in withheld months (too few, or in progress), not in `counts`.
        public var withheldComplaints: Int { complaints - counts.complaints }
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
        /// Keyed by the month's first day; missing months had no complaints.
        public let months: [LocalDate: StatisticsCounts]

        public init(platformID: UUID, platformName: String, months: [LocalDate: StatisticsCounts]) {
            self.platformID = platformID
            self.platformName = platformName
            self.months = months
        }
    }

    /// The report of the whole months of `period`. The one withholding rule (Docs/metrics.md): a
    /// platform's month shows its figures when it has ended and has none or at least
    /// `minimumComplaints` complaints; every other figure is a sum of such months.
    public init(period: StatisticsPeriod, minimumComplaints: Int, today: LocalDate, sources: [Source]) {
        let period = period.wholeMonthsAround
        self.period = period
        self.minimumComplaints = minimumComplaints
        let months = period.months
        let current = today.firstOfMonth
        func cell(_ month: LocalDate, _ counts: StatisticsCounts) -> Month {
            let inProgress = month >= current
            let withheld = inProgress || (counts.complaints > 0 && counts.complaints < minimumComplaints)
            return Month(month: month, complaints: counts.complaints, counts: counts, withheld: withheld, inProgress: inProgress)
        }
        struct Built {
            let source: Source
            let trend: [Month]
            let complaints: Int
            let counts: StatisticsCounts
        }
        let built = sources.map { source in
            let trend = months.map { cell($0, source.months[$0] ?? StatisticsCounts()) }
            return Built(
                source: source, trend: trend, complaints: Money.saturatingSum(trend.map(\.complaints)),
                counts: trend.filter { !$0.withheld }.reduce(StatisticsCounts()) { $0 + $1.counts })
        }
        let published = built.filter { $0.counts.complaints >= minimumComplaints }.sorted { Self.ranksBefore($0.counts, $0.source.platformName, $1.counts, $1.source.platformName) }
        let withheld = built.filter { $0.counts.complaints < minimumComplaints }.sorted {
            ($0.complaints, $1.source.platformName) > ($1.complaints, $0.source.platformName)
        }
        var entries: [Entry] = []
        var rank = 0
        for (index, platform) in published.enumerated() {
            if index == 0 || Self.rankingKey(published[index - 1].counts) != Self.rankingKey(platform.counts) { rank = index + 1 }
            entries.append(
                Entry(platformID: platform.source.platformID, platformName: platform.source.platformName, rank: rank,
                      complaints: platform.complaints, counts: platform.counts, withheld: false, trend: platform.trend))
        }
        for platform in withheld {
            entries.append(
                Entry(platformID: platform.source.platformID, platformName: platform.source.platformName, rank: nil,
                      complaints: platform.complaints, counts: platform.counts, withheld: true, trend: platform.trend))
        }
        self.entries = entries
        // Every platform together: the sum of the published platform months, so that subtracting the
        // published platforms from it leaves nothing.
        self.trend = months.enumerated().map { index, month in
            let cells = built.map { $0.trend[index] }
            let shown = cells.filter { !$0.withheld }.reduce(StatisticsCounts()) { $0 + $1.counts }
            let inProgress = month >= current
            return Month(
                month: month, complaints: Money.saturatingSum(cells.map(\.complaints)), counts: shown,
                withheld: inProgress || (!cells.isEmpty && cells.contains { $0.complaints > 0 } && shown.complaints < minimumComplaints),
                inProgress: inProgress)
        }
    }

    /// On-time rate, then resolution rate, then response rate, higher first, compared exactly (as
    /// cross products, not rounded values).
    static func rankingKey(_ counts: StatisticsCounts) -> [Fraction] {
        [Fraction(counts.respondedOnTime, counts.complaints), Fraction(counts.resolved, counts.complaints),
         Fraction(counts.responded, counts.complaints)]
    }

    static func ranksBefore(_ lhs: StatisticsCounts, _ lhsName: String, _ rhs: StatisticsCounts, _ rhsName: String) -> Bool {
        let left = rankingKey(lhs), right = rankingKey(rhs)
        for (a, b) in zip(left, right) where a != b { return a > b }
        if lhs.complaints != rhs.complaints { return lhs.complaints > rhs.complaints }
        return lhsName < rhsName
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
