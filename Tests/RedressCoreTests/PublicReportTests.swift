import Foundation
import RedressCore
import Testing

/// The public report's rules on counts built by hand: the ranking, the withholding of few ratings,
/// the periods that may be published.
@Suite("Public report rules")
struct PublicReportRuleTests {
    static let september = LocalDate(year: 2026, month: 9, day: 1)

    static func counts(due: Int, onTime: Int, counted: Int? = nil, resolved: Int = 0, ratings: Int = 0, ratingSum: Int = 0) -> StatisticsCounts {
        var counts = StatisticsCounts()
        counts.complaints = counted ?? due
        counts.counted = counted ?? due
        counts.due = due
        counts.responded = onTime
        counts.respondedOnTime = onTime
        counts.resolvedMonetary = resolved
        counts.ratings = ratings
        counts.ratingSum = ratingSum
        return counts
    }

    static func source(_ name: String, _ counts: StatisticsCounts, ratingsGiven: PublicReport.Ratings? = nil) -> PublicReport.Source {
        PublicReport.Source(
            platformID: UUID(), platformName: name, months: [september: counts], ratingsGiven: ratingsGiven.map { [september: $0] } ?? [:],
            promise: PlatformPromise(responseDays: 7, merchantResponseDays: 3, fulfilmentDays: 7), merchantFirst: false)
    }

    static func report(_ sources: [PublicReport.Source], minimumComplaints: Int = 10, minimumRatings: Int = 5) -> PublicReport {
        PublicReport(
            period: .month(september), minimumComplaints: minimumComplaints, minimumRatings: minimumRatings,
            today: LocalDate(year: 2026, month: 12, day: 1), sources: sources)
    }

    /// Wilson's lower bound at 95 %, computed by hand: 10 of 10 gives 1 / (1 + 1.96² / 10) = 0.7225;
    /// 95 of 100 gives 0.8882; 0 of n gives 0.
    @Test func theLowerBoundIsWilsons() {
        #expect(abs(PublicReport.wilsonLowerBound(10, of: 10) - 0.722_460) < 1e-6)
        #expect(abs(PublicReport.wilsonLowerBound(95, of: 100) - 0.888_248) < 1e-6)
        #expect(PublicReport.wilsonLowerBound(0, of: 50) == 0)
        #expect(PublicReport.wilsonLowerBound(0, of: 0) == 0)
        #expect(PublicReport.wilsonLowerBound(5, of: 10) < PublicReport.wilsonLowerBound(50, of: 100))
    }

    /// A perfect record on 10 cases does not outrank 95 % on 100; equal records share a rank and are
    /// listed by name; fewer resolutions rank lower.
    @Test func aFewPerfectCasesDoNotOutrankManyGoodOnes() {
        let report = Self.report([
            Self.source("小而全准", Self.counts(due: 10, onTime: 10)),
            Self.source("大而稳", Self.counts(due: 100, onTime: 95)),
            Self.source("乙同分", Self.counts(due: 40, onTime: 30, resolved: 5)),
            Self.source("甲同分", Self.counts(due: 40, onTime: 30, resolved: 5)),
            Self.source("同率少解决", Self.counts(due: 40, onTime: 30, resolved: 1)),
        ])
        #expect(report.entries.map(\.platformName) == ["大而稳", "小而全准", "乙同分", "甲同分", "同率少解决"])
        #expect(report.entries.map(\.rank) == [1, 2, 3, 3, 5])
    }

    /// Rejecting everything at once is on time, but resolves nothing: it does not lead the table.
    @Test func answeringEverythingWithARejectionDoesNotLead() {
        let report = Self.report([
            Self.source("一律驳回", Self.counts(due: 500, onTime: 500)),
            Self.source("认真处理", Self.counts(due: 500, onTime: 480, resolved: 400)),
        ])
        #expect(report.entries.map(\.platformName) == ["认真处理", "一律驳回"])
        let score = PublicReport.score(Self.counts(due: 500, onTime: 480, resolved: 400))
        let byHand = PublicReport.wilsonLowerBound(480, of: 500) / 2 + PublicReport.wilsonLowerBound(400, of: 500) / 2
        #expect(abs(score - byHand) < 1e-9)
        // Nor against one that answers more slowly but resolves half its complaints.
        let half = Self.report([
            Self.source("一律驳回", Self.counts(due: 100, onTime: 100)),
            Self.source("解决一半", { var c = Self.counts(due: 100, onTime: 70, resolved: 50); c.responded = 95; return c }()),
        ])
        #expect(half.entries.map(\.platformName) == ["解决一半", "一律驳回"])
    }

    /// Withdrawals and invalid complaints (which anyone can add) do not lift a month of one real
    /// complaint over the minimum.
    @Test func onlyCountedComplaintsReachTheMinimum() {
        var counts = Self.counts(due: 1, onTime: 1, counted: 1)
        counts.complaints = 10
        counts.withdrawn = 9
        counts.amountClaimed = 12_345
        let report = Self.report([Self.source("小平台", counts)])
        #expect(report.trend[0].withheld && report.entries[0].withheld && report.entries[0].rank == nil)
        #expect(report.entries[0].counts.amountClaimed == 0)
    }

    /// Satisfaction is of the ratings given in a month (those of its complaints stay with the staff),
    /// published only with at least the minimum of them; a period sums the months that publish theirs.
    @Test func fewRatingsAreNeverPublished() {
        let bySubmission = Self.counts(due: 20, onTime: 20, ratings: 9, ratingSum: 9)
        let few = Self.report([Self.source("平台", bySubmission, ratingsGiven: .init(count: 4, sum: 4))])
        #expect(few.entries[0].counts.ratings == 0 && few.entries[0].counts.satisfaction == nil)
        #expect(few.trend[0].counts.ratings == 0)
        let enough = Self.report([Self.source("平台", bySubmission, ratingsGiven: .init(count: 5, sum: 21))])
        #expect(enough.entries[0].counts.ratings == 5 && enough.entries[0].counts.satisfaction == 4.2)
        // A month whose complaints are too few still shows the ratings given in it, and the period sums them.
        let fewComplaints = Self.report([Self.source("平台", Self.counts(due: 3, onTime: 3), ratingsGiven: .init(count: 6, sum: 24))])
        #expect(fewComplaints.trend[0].withheld && fewComplaints.entries[0].counts.ratings == 6)
        let inProgress = PublicReport(
            period: .month(Self.september), minimumComplaints: 10, minimumRatings: 5, today: LocalDate(year: 2026, month: 9, day: 20),
            sources: [Self.source("平台", bySubmission, ratingsGiven: .init(count: 50, sum: 200))])
        #expect(inProgress.trend[0].counts.ratings == 0)
    }

    @Test func onlyMonthsQuartersAndYearsArePublished() {
        let today = LocalDate(year: 2026, month: 12, day: 6)
        func parse(period: String? = nil, from: String? = nil, to: String? = nil) -> (PublicPeriod, [String]) {
            var fields = FieldValidator()
            let parsed = PublicPeriod.parse(period: period, from: from, to: to, today: today, fields: &fields)
            return (parsed, fields.invalidFields.map { "\($0.field) \($0.reason)" })
        }
        #expect(parse().0 == .month(LocalDate(year: 2026, month: 11, day: 1)))
        #expect(parse(period: "2026-09").0 == .month(Self.september))
        #expect(parse(period: "2026-Q3").0.days == StatisticsPeriod(from: LocalDate(year: 2026, month: 7, day: 1), to: LocalDate(year: 2026, month: 9, day: 30)))
        #expect(parse(period: "2025").0.days.to == LocalDate(year: 2025, month: 12, day: 31))
        #expect(parse(from: "2026-09-10", to: "2026-09-12").0 == .month(Self.september))
        #expect(parse(from: "2026-10-01", to: "2026-12-31").0 == .quarter(year: 2026, quarter: 4))
        #expect(parse(from: "2026-01-05", to: "2026-12-01").0 == .year(2026))
        for bad in ["2026-13", "2026-Q5", "2026-Q0", "26-09", "2026-9", "2026-09-01", "２０２６", "0000", ""] {
            #expect(parse(period: bad).1 == ["period not_a_published_period"], "\(bad)")
        }
        #expect(parse(from: "2026-09-01", to: "2026-10-31").1 == ["period not_a_published_period"])
        #expect(parse(from: "2026-02-01", to: "2026-04-30").1 == ["period not_a_published_period"])  // not a calendar quarter
        #expect(parse(period: "2026-09", from: "2026-09-01").1 == ["period with_from_or_to"])
        #expect(PublicPeriod.quarter(year: 2026, quarter: 3).description == "2026-Q3")
    }
}
