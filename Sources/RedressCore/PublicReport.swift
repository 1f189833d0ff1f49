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
        /// Every complaint of the month has had its full standard deadline: its response figures no
        /// longer change (before, they are provisional: a case still inside its deadline is not due).
        public let final: Bool
    }

    public struct Entry: Sendable, Equatable {
        public let platformID: UUID
        public let platformName: String
        /// 1 is best; equal scores, equal rank; `nil` when withheld.
        public let rank: Int?
        /// What the ranking orders by (`PublicReport.score`); `nil` when withheld.
        public var score: Double? { withheld ? nil : PublicReport.score(counts) }
        /// Every complaint of the period: always public.
        public let complaints: Int
        /// The sum of the platform's months whose figures are published (`trend`): a period's figures
        /// are never more than the sum of published cells, so no two periods can be subtracted to
        /// isolate a withheld month.
        public let counts: StatisticsCounts
        public let withheld: Bool
        public let trend: [Month]
        /// What the platform promises today (its deadlines are measured against the standard all
        /// the same), shown beside its figures.
        public let promise: PlatformPromise
        public let merchantFirst: Bool
        /// Complaints of the period in withheld months (too few, or in progress), not in `counts`.
        public var withheldComplaints: Int { complaints - counts.complaints }
    }

    public let period: StatisticsPeriod
    /// The published period this report is of.
    public let publicPeriod: PublicPeriod
    public let minimumComplaints: Int
    /// A month's ratings are published only when there are at least this many.
    public let minimumRatings: Int
    /// The yardstick every platform is measured against.
    public let standard: StandardDeadlines
    /// Every month of the period is final.
    public var final: Bool { trend.allSatisfy(\.final) }
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
        /// The ratings given in each month (not those of the complaints submitted in it).
        public let ratingsGiven: [LocalDate: Ratings]
        public let promise: PlatformPromise
        public let merchantFirst: Bool

        public init(
            platformID: UUID, platformName: String, months: [LocalDate: StatisticsCounts], ratingsGiven: [LocalDate: Ratings] = [:],
            promise: PlatformPromise, merchantFirst: Bool
        ) {
            self.platformID = platformID
            self.platformName = platformName
            self.months = months
            self.ratingsGiven = ratingsGiven
            self.promise = promise
            self.merchantFirst = merchantFirst
        }
    }

    /// How many ratings, and their sum.
    public struct Ratings: Sendable, Equatable {
        public let count: Int
        public let sum: Int

        public init(count: Int, sum: Int) {
            self.count = count
            self.sum = sum
        }
    }

    /// The report of `period`. The one withholding rule (Docs/metrics.md): a platform's month shows
    /// its figures when it has ended and has none or at least `minimumComplaints` complaints, its
    /// ratings when they are at least `minimumRatings`; every other figure is a sum of such months.
    /// `isFinal` says of a month whether every one of its complaints has had its standard deadline.
    public init(
        period publicPeriod: PublicPeriod, minimumComplaints: Int, minimumRatings: Int = 1, standard: StandardDeadlines = StandardDeadlines(),
        today: LocalDate, isFinal: (LocalDate) -> Bool = { _ in true }, sources: [Source]
    ) {
        let period = publicPeriod.days
        self.period = period
        self.publicPeriod = publicPeriod
        self.minimumComplaints = minimumComplaints
        self.minimumRatings = minimumRatings
        self.standard = standard
        let months = period.months
        let current = today.firstOfMonth
        let finalMonths = Set(months.filter { $0 < current && isFinal($0) })
        // The minimum applies to the complaints that count: withdrawals and invalid complaints (which
        // anyone can add) must not lift a month of one real complaint over it.
        func cell(_ month: LocalDate, _ counts: StatisticsCounts, _ given: Ratings?) -> Month {
            let inProgress = month >= current
            let withheld = inProgress || (counts.counted > 0 && counts.counted < minimumComplaints)
            // Satisfaction is of the ratings given in the month, not of those of its complaints: a
            // month that has ended never changes again, so that two readings never tell a new
            // rating apart; and fewer than the minimum are left out of every sum.
            var shown = counts.withoutRatings
            if let given, !inProgress, given.count >= minimumRatings {
                shown.ratings = given.count
                shown.ratingSum = given.sum
            }
            return Month(
                month: month, complaints: counts.complaints, counts: shown, withheld: withheld, inProgress: inProgress,
                final: finalMonths.contains(month))
        }
        struct Built {
            let source: Source
            let trend: [Month]
            let complaints: Int
            let counts: StatisticsCounts
        }
        let built = sources.map { source in
            let trend = months.map { cell($0, source.months[$0] ?? StatisticsCounts(), source.ratingsGiven[$0]) }
            return Built(
                source: source, trend: trend, complaints: Money.saturatingSum(trend.map(\.complaints)),
                counts: Self.sum(trend))
        }
        let published = built.filter { $0.counts.counted >= minimumComplaints }.sorted { Self.ranksBefore($0.counts, $0.source.platformName, $1.counts, $1.source.platformName) }
        let withheld = built.filter { $0.counts.counted < minimumComplaints }.sorted {
            ($0.complaints, $1.source.platformName) > ($1.complaints, $0.source.platformName)
        }
        var entries: [Entry] = []
        var rank = 0
        for (index, platform) in published.enumerated() {
            if index == 0 || Self.score(published[index - 1].counts) != Self.score(platform.counts) { rank = index + 1 }
            entries.append(
                Entry(platformID: platform.source.platformID, platformName: platform.source.platformName, rank: rank,
                      complaints: platform.complaints, counts: platform.counts, withheld: false, trend: platform.trend,
                      promise: standard.limit(platform.source.promise), merchantFirst: platform.source.merchantFirst))
        }
        for platform in withheld {
            entries.append(
                Entry(platformID: platform.source.platformID, platformName: platform.source.platformName, rank: nil,
                      complaints: platform.complaints, counts: platform.counts, withheld: true, trend: platform.trend,
                      promise: standard.limit(platform.source.promise), merchantFirst: platform.source.merchantFirst))
        }
        self.entries = entries
        // Every platform together: the sum of the published platform months, so that subtracting the
        // published platforms from it leaves nothing.
        self.trend = months.enumerated().map { index, month in
            let cells = built.map { $0.trend[index] }
            let shown = Self.sum(cells)
            let inProgress = month >= current
            return Month(
                month: month, complaints: Money.saturatingSum(cells.map(\.complaints)), counts: shown,
                withheld: inProgress || (!cells.isEmpty && cells.contains { $0.counts.counted > 0 } && shown.counted < minimumComplaints),
                inProgress: inProgress, final: finalMonths.contains(month))
        }
    }

    /// The published figures of `months`: the counts of those not withheld, and the ratings of every
    /// one that shows its own (ratings follow their own rule, whatever the complaints' withholding).
    static func sum(_ months: [Month]) -> StatisticsCounts {
        var total = months.filter { !$0.withheld }.reduce(StatisticsCounts()) { $0 + $1.counts }
        total.ratings = Money.saturatingSum(months.map(\.counts.ratings))
        total.ratingSum = Money.saturatingSum(months.map(\.counts.ratingSum))
        return total
    }

    /// The score a platform is ranked by, from the lower bounds of the 95 % Wilson intervals of its
    /// rates: half the resolution rate's, a quarter each the on-time and response rates'. A rate from
    /// few complaints is uncertain and its lower bound low, so a handful of cases cannot lead the
    /// table; and as resolving weighs as much as answering fast, answering everything at once with a
    /// rejection does not lead either (Docs/metrics.md).
    public static func score(_ counts: StatisticsCounts) -> Double {
        let speed = wilsonLowerBound(counts.respondedOnTime, of: counts.due) + wilsonLowerBound(counts.responded, of: counts.due)
        let value = speed / 4 + wilsonLowerBound(counts.resolved, of: counts.counted) / 2
        return (value * 1e12).rounded() / 1e12
    }

    /// The lower end of the Wilson score interval of `successes` out of `trials` at 95 % (z = 1.96);
    /// 0 without trials. Rounded to 12 decimals, so that equal fractions compare equal.
    public static func wilsonLowerBound(_ successes: Int, of trials: Int) -> Double {
        guard trials > 0 else { return 0 }
        let n = Double(trials), p = Double(min(max(successes, 0), trials)) / n, z = 1.96
        let bound = (p + z * z / (2 * n) - z * ((p * (1 - p) + z * z / (4 * n)) / n).squareRoot()) / (1 + z * z / n)
        return (max(bound, 0) * 1e12).rounded() / 1e12
    }

    static func ranksBefore(_ lhs: StatisticsCounts, _ lhsName: String, _ rhs: StatisticsCounts, _ rhsName: String) -> Bool {
        let left = score(lhs), right = score(rhs)
        if left != right { return left > right }
        if lhs.counted != rhs.counted { return lhs.counted > rhs.counted }
        return lhsName < rhsName
    }
}
