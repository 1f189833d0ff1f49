import Foundation
import RedressCore

/// The public report as JSON: platform-level aggregates only (Docs/metrics.md, "The public report").
/// A withheld platform shows its number of complaints and nothing else.
struct PublicReportResponse: Encodable, Sendable {
    struct Withheld: Encodable, Sendable {
        let reason = "too_few_complaints"
        let minimumComplaints: Int
    }

    /// Counters and rates, `null` when withheld.
    struct Figures: Encodable, Sendable {
        let complaints: Int
        let withheld: Withheld?
        let responded: Int?
        let responseRate: RateResponse?
        let respondedOnTime: Int?
        let onTimeRate: RateResponse?
        let resolved: Int?
        let resolutionRate: RateResponse?
        let escalated: Int?
        let escalationRate: RateResponse?
        let amountClaimed: Int?
        let amountRefunded: Int?
        let satisfaction: Double?
        let ratings: Int?

        init(_ counts: StatisticsCounts, withheld: Bool, minimum: Int) {
            complaints = counts.complaints
            self.withheld = withheld ? Withheld(minimumComplaints: minimum) : nil
            func shown<T>(_ value: T) -> T? { withheld ? nil : value }
            responded = shown(counts.responded)
            responseRate = shown(RateResponse(counts.responseRate))
            respondedOnTime = shown(counts.respondedOnTime)
            onTimeRate = shown(RateResponse(counts.onTimeRate))
            resolved = shown(counts.resolved)
            resolutionRate = shown(RateResponse(counts.resolutionRate))
            escalated = shown(counts.escalated)
            escalationRate = shown(RateResponse(counts.escalationRate))
            amountClaimed = shown(counts.amountClaimed)
            amountRefunded = shown(counts.amountRefunded)
            satisfaction = withheld ? nil : counts.satisfaction
            ratings = shown(counts.ratings)
        }

        enum CodingKeys: String, CodingKey {
            case complaints, withheld, responded, responseRate, respondedOnTime, onTimeRate, resolved, resolutionRate, escalated,
                escalationRate, amountClaimed, amountRefunded, satisfaction, ratings
        }

        // Every key always present (null when withheld), so that a table never loses a column.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(complaints, forKey: .complaints)
            try container.encode(withheld, forKey: .withheld)
            try container.encode(responded, forKey: .responded)
            try container.encode(responseRate, forKey: .responseRate)
            try container.encode(respondedOnTime, forKey: .respondedOnTime)
            try container.encode(onTimeRate, forKey: .onTimeRate)
            try container.encode(resolved, forKey: .resolved)
            try container.encode(resolutionRate, forKey: .resolutionRate)
            try container.encode(escalated, forKey: .escalated)
            try container.encode(escalationRate, forKey: .escalationRate)
            try container.encode(amountClaimed, forKey: .amountClaimed)
            try container.encode(amountRefunded, forKey: .amountRefunded)
            try container.encode(satisfaction, forKey: .satisfaction)
            try container.encode(ratings, forKey: .ratings)
        }
    }

    struct Month: Encodable, Sendable {
        /// `YYYY-MM`.
        let month: String
        let figures: Figures
    }

    struct Platform: Encodable, Sendable {
        let rank: Int?
        let platform: PlatformNameResponse
        let figures: Figures
        let trend: [Month]

        enum CodingKeys: String, CodingKey { case rank, platform, figures, trend }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(rank, forKey: .rank)
            try container.encode(platform, forKey: .platform)
            try container.encode(figures, forKey: .figures)
            try container.encode(trend, forKey: .trend)
        }
    }

    let from: String
    let to: String
    let timeZone: String
    let generatedAt: Date
    let minimumComplaints: Int
    let rankedBy = ["on_time_rate", "resolution_rate", "response_rate"]
    let platforms: [Platform]
    /// Every platform together.
    let trend: [Month]

    init(_ report: PublicReport, generatedAt: Date, timeZone: TimeZone) {
        from = report.period.from.description
        to = report.period.to.description
        self.timeZone = timeZone.identifier
        self.generatedAt = generatedAt
        minimumComplaints = report.minimumComplaints
        let minimum = report.minimumComplaints
        func months(_ trend: [PublicReport.Month]) -> [Month] {
            trend.map { Month(month: Self.monthLabel($0.month), figures: Figures($0.counts, withheld: $0.withheld, minimum: minimum)) }
        }
        platforms = report.entries.map { entry in
            Platform(
                rank: entry.rank, platform: PlatformNameResponse(id: ResourceID(entry.platformID), name: entry.platformName),
                figures: Figures(entry.counts, withheld: entry.withheld, minimum: minimum), trend: months(entry.trend))
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
        "platform_id", "platform_name", "period", "rank", "complaints", "withheld_reason", "responded", "response_rate",
        "responded_on_time", "on_time_rate", "resolved", "resolution_rate", "escalated", "escalation_rate", "amount_claimed",
        "amount_refunded", "ratings", "satisfaction",
    ]

    static func render(_ report: PublicReport) -> String {
        var lines = [header.joined(separator: ",")]
        func row(_ entry: PublicReport.Entry, period: String, rank: Int?, counts: StatisticsCounts, withheld: Bool) -> String {
            func shown(_ value: Int) -> String { withheld ? "" : String(value) }
            func rate(_ rate: Rate) -> String { withheld ? "" : rate.value.map { String(format: "%.4f", $0) } ?? "" }
            let cells = [
                entry.platformID.uuidString.lowercased(), entry.platformName, period, rank.map(String.init) ?? "", String(counts.complaints),
                withheld ? "too_few_complaints" : "", shown(counts.responded), rate(counts.responseRate), shown(counts.respondedOnTime),
                rate(counts.onTimeRate), shown(counts.resolved), rate(counts.resolutionRate), shown(counts.escalated),
                rate(counts.escalationRate), shown(counts.amountClaimed), shown(counts.amountRefunded), shown(counts.ratings),
                withheld ? "" : counts.satisfaction.map { String(format: "%.2f", $0) } ?? "",
            ]
            return cells.map(cell).joined(separator: ",")
        }
        let whole = "\(report.period.from)/\(report.period.to)"
        for entry in report.entries {
            lines.append(row(entry, period: whole, rank: entry.rank, counts: entry.counts, withheld: entry.withheld))
        }
        for entry in report.entries {
            for month in entry.trend {
                lines.append(row(entry, period: PublicReportResponse.monthLabel(month.month), rank: nil, counts: month.counts, withheld: month.withheld))
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
