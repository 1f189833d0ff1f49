import Foundation
import RedressCore

/// The public report as JSON: platform-level aggregates only (Docs/metrics.md, "The public report").
/// A withheld platform shows its number of complaints and nothing else.
struct PublicReportResponse: Encodable, Sendable {
    struct Withheld: Encodable, Sendable {
        /// `too_few_complaints` or `month_in_progress`.
        let reason: String
        let minimumComplaints: Int
    }

    /// Counters and rates, `null` when withheld (every key always present, so that a table never
    /// loses a column).
    struct Figures: Encodable, Sendable {
        /// Every complaint the cell covers: always shown.
        let complaints: Int
        /// Of those, the complaints of withheld months, which the figures below leave out.
        let withheldComplaints: Int
        let withheld: Nullable<Withheld>
        /// Of the complaints, those withdrawn and those found invalid: shown with the rates, so that a
        /// reader sees why their base (`counted`) is smaller than the complaints.
        let withdrawn: Nullable<Int>
        let invalid: Nullable<Int>
        let counted: Nullable<Int>
        let due: Nullable<Int>
        let awaitingResponse: Nullable<Int>
        let responded: Nullable<Int>
        let responseRate: Nullable<RateResponse>
        let respondedOnTime: Nullable<Int>
        let onTimeRate: Nullable<RateResponse>
        let resolved: Nullable<Int>
        let resolvedMonetary: Nullable<Int>
        let resolvedNonMonetary: Nullable<Int>
        let closedWithExplanation: Nullable<Int>
        let closedUnresolved: Nullable<Int>
        let resolutionRate: Nullable<RateResponse>
        let escalated: Nullable<Int>
        let escalationRate: Nullable<RateResponse>
        let unfairTermsConfirmed: Nullable<Int>
        let threatsConfirmed: Nullable<Int>
        let repeatComplaints: Nullable<Int>
        let repeatRate: Nullable<RateResponse>
        let collective: Nullable<Int>
        let amountClaimed: Nullable<Int>
        let amountRefunded: Nullable<Int>
        let satisfaction: Nullable<Double>
        let ratings: Nullable<Int>

        init(complaints: Int, counts: StatisticsCounts, withheld reason: String?, minimum: Int) {
            self.complaints = complaints
            let withheld = reason != nil
            withheldComplaints = withheld ? complaints : complaints - counts.complaints
            self.withheld = Nullable(reason.map { Withheld(reason: $0, minimumComplaints: minimum) })
            func shown<T: Encodable & Sendable>(_ value: T) -> Nullable<T> { Nullable(withheld ? nil : value) }
            withdrawn = shown(counts.withdrawn)
            invalid = shown(counts.invalid)
            counted = shown(counts.counted)
            due = shown(counts.due)
            awaitingResponse = shown(counts.awaitingResponse)
            responded = shown(counts.responded)
            responseRate = shown(RateResponse(counts.responseRate))
            respondedOnTime = shown(counts.respondedOnTime)
            onTimeRate = shown(RateResponse(counts.onTimeRate))
            resolved = shown(counts.resolved)
            resolvedMonetary = shown(counts.resolvedMonetary)
            resolvedNonMonetary = shown(counts.resolvedNonMonetary)
            closedWithExplanation = shown(counts.closedWithExplanation)
            closedUnresolved = shown(counts.closedUnresolved)
            resolutionRate = shown(RateResponse(counts.resolutionRate))
            escalated = shown(counts.escalated)
            escalationRate = shown(RateResponse(counts.escalationRate))
            unfairTermsConfirmed = shown(counts.unfairTermsConfirmed)
            threatsConfirmed = shown(counts.threatsConfirmed)
            repeatComplaints = shown(counts.repeatComplaints)
            repeatRate = shown(RateResponse(counts.repeatRate))
            collective = shown(counts.collective)
            amountClaimed = shown(counts.amountClaimed)
            amountRefunded = shown(counts.amountRefunded)
            // Ratings follow their own rule (given in a month that has ended, at least the minimum of
            // them): the counts carry none otherwise, whatever the complaints' withholding.
            satisfaction = Nullable(counts.satisfaction)
            ratings = Nullable(counts.ratings)
        }

        init(_ month: PublicReport.Month, minimum: Int) {
            let reason = month.inProgress ? "month_in_progress" : month.withheld ? "too_few_complaints" : nil
            self.init(complaints: month.complaints, counts: month.counts, withheld: reason, minimum: minimum)
        }
    }

    struct Month: Encodable, Sendable {
        /// `YYYY-MM`.
        let month: String
        let inProgress: Bool
        /// Every complaint of the month has had its full standard deadline.
        let final: Bool
        let figures: Figures
    }

    /// Working days: what the platform promises now, and what every platform is measured against.
    struct Deadlines: Encodable, Sendable {
        let responseDays: Int
        let merchantResponseDays: Int
        let fulfilmentDays: Int
    }

    struct Promise: Encodable, Sendable {
        let responseDays: Int
        let merchantFirst: Bool
        let merchantResponseDays: Int
        let fulfilmentDays: Int
    }

    struct Platform: Encodable, Sendable {
        let rank: Nullable<Int>
        let score: Nullable<Double>
        let platform: PlatformNameResponse
        let promise: Promise
        let figures: Figures
        let trend: [Month]
    }

    /// `2026-09`, `2026-Q3` or `2026`.
    let period: String
    let from: String
    let to: String
    /// Every month of the period is final.
    let final: Bool
    let timeZone: String
    let generatedAt: Date
    let minimumComplaints: Int
    let minimumRatings: Int
    let standardDeadlines: Deadlines
    /// The mean of the lower bounds of the 95 % Wilson intervals of these rates.
    let rankedBy = "mean_wilson_lower_bound"
    let rankingKeys = ["on_time_rate", "resolution_rate", "response_rate"]
    let platforms: [Platform]
    /// Every platform together.
    let trend: [Month]

    init(_ report: PublicReport, generatedAt: Date, timeZone: TimeZone) {
        period = report.publicPeriod.description
        from = report.period.from.description
        to = report.period.to.description
        final = report.final
        minimumRatings = report.minimumRatings
        standardDeadlines = Deadlines(
            responseDays: report.standard.responseDays, merchantResponseDays: report.standard.merchantResponseDays,
            fulfilmentDays: report.standard.fulfilmentDays)
        self.timeZone = timeZone.identifier
        self.generatedAt = generatedAt
        minimumComplaints = report.minimumComplaints
        let minimum = report.minimumComplaints
        func months(_ trend: [PublicReport.Month]) -> [Month] {
            trend.map {
                Month(month: Self.monthLabel($0.month), inProgress: $0.inProgress, final: $0.final, figures: Figures($0, minimum: minimum))
            }
        }
        platforms = report.entries.map { entry in
            Platform(
                rank: Nullable(entry.rank), score: Nullable(entry.score.map { ($0 * 10_000).rounded() / 10_000 }),
                platform: PlatformNameResponse(id: ResourceID(entry.platformID), name: entry.platformName),
                promise: Promise(
                    responseDays: entry.promise.responseDays, merchantFirst: entry.merchantFirst,
                    merchantResponseDays: entry.promise.merchantResponseDays, fulfilmentDays: entry.promise.fulfilmentDays),
                figures: Figures(
                    complaints: entry.complaints, counts: entry.counts, withheld: entry.withheld ? "too_few_complaints" : nil, minimum: minimum),
                trend: months(entry.trend))
        }
        trend = months(report.trend)
    }

    static func monthLabel(_ month: LocalDate) -> String { String(month.description.prefix(7)) }
}

/// The public report as CSV (RFC 4180): one row per platform for the whole period (`period` is
/// `from/to`, with its rank), then one per platform and month. Cells that a spreadsheet would run
/// as a formula are prefixed with a quote.
enum PublicReportCSV {
    static let header = [
        "platform_id", "platform_name", "period", "rank", "complaints", "withheld_complaints", "withheld_reason", "withdrawn", "invalid",
        "counted", "due", "awaiting_response", "responded", "response_rate", "responded_on_time", "on_time_rate", "resolved",
        "resolved_monetary", "resolved_non_monetary", "closed_with_explanation", "closed_unresolved", "resolution_rate", "escalated", "escalation_rate",
        "amount_claimed", "amount_refunded", "ratings", "satisfaction", "final", "promised_response_days", "unfair_terms_confirmed",
        "threats_confirmed", "repeat_complaints", "repeat_rate", "collective",
    ]

    static func render(_ report: PublicReport) -> String {
        var lines = [header.joined(separator: ",")]
        func row(
            _ entry: PublicReport.Entry, period: String, rank: Int?, complaints: Int, counts: StatisticsCounts, withheld reason: String?, final: Bool
        ) -> String {
            let withheld = reason != nil
            func shown(_ value: Int) -> String { withheld ? "" : String(value) }
            func rate(_ rate: Rate) -> String { withheld ? "" : rate.value.map { String(format: "%.4f", $0) } ?? "" }
            let cells = [
                entry.platformID.uuidString.lowercased(), entry.platformName, period, rank.map(String.init) ?? "", String(complaints),
                String(withheld ? complaints : complaints - counts.complaints), reason ?? "", shown(counts.withdrawn), shown(counts.invalid),
                shown(counts.counted), shown(counts.due), shown(counts.awaitingResponse), shown(counts.responded), rate(counts.responseRate),
                shown(counts.respondedOnTime), rate(counts.onTimeRate), shown(counts.resolved), shown(counts.resolvedMonetary),
                shown(counts.resolvedNonMonetary), shown(counts.closedWithExplanation), shown(counts.closedUnresolved), rate(counts.resolutionRate), shown(counts.escalated),
                rate(counts.escalationRate), shown(counts.amountClaimed), shown(counts.amountRefunded), String(counts.ratings),
                counts.satisfaction.map { String(format: "%.2f", $0) } ?? "", final ? "true" : "false",
                String(entry.promise.responseDays), shown(counts.unfairTermsConfirmed), shown(counts.threatsConfirmed),
                shown(counts.repeatComplaints), rate(counts.repeatRate), shown(counts.collective),
            ]
            return cells.map(cell).joined(separator: ",")
        }
        let whole = report.publicPeriod.description
        for entry in report.entries {
            lines.append(
                row(entry, period: whole, rank: entry.rank, complaints: entry.complaints, counts: entry.counts,
                    withheld: entry.withheld ? "too_few_complaints" : nil, final: report.final))
        }
        for entry in report.entries {
            for month in entry.trend {
                let reason = month.inProgress ? "month_in_progress" : month.withheld ? "too_few_complaints" : nil
                lines.append(
                    row(entry, period: PublicReportResponse.monthLabel(month.month), rank: nil, complaints: month.complaints, counts: month.counts,
                        withheld: reason, final: month.final))
            }
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func cell(_ value: String) -> String {
        var value = value
        if let first = value.first, "=+-@\t\r".contains(first) { value = "'" + value }
        if value.contains(where: { ",\"\r\n".contains($0) }) {
            value = "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return value
    }
}
