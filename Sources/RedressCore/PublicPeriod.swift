import Foundation

/// A period the public report publishes: a calendar month, quarter or year of submission days.
/// Only these are published, so that nobody can pick the window in which a platform looks best, and
/// no two published periods differ by a few days (Docs/metrics.md, "League tables").
public enum PublicPeriod: Sendable, Hashable, CustomStringConvertible {
    /// The month's first day.
    case month(LocalDate)
    case quarter(year: Int, quarter: Int)
    case year(Int)

    /// The days it covers.
    public var days: StatisticsPeriod {
        switch self {
        case .month(let first): StatisticsPeriod(from: first, to: first.lastOfMonth)
        case .quarter(let year, let quarter):
            StatisticsPeriod(
                from: LocalDate(year: year, month: quarter * 3 - 2, day: 1), to: LocalDate(year: year, month: quarter * 3, day: 1).lastOfMonth)
        case .year(let year): StatisticsPeriod(from: LocalDate(year: year, month: 1, day: 1), to: LocalDate(year: year, month: 12, day: 31))
        }
    }

    /// `2026-09`, `2026-Q3` or `2026`: what `period=` takes.
    public var description: String {
        switch self {
        case .month(let first): String(first.description.prefix(7))
        case .quarter(let year, let quarter): String(format: "%04d-Q%d", year, quarter)
        case .year(let year): String(format: "%04d", year)
        }
    }

    /// The last month that has ended by `today`: the report shown when no period is asked for.
    public static func latest(today: LocalDate) -> PublicPeriod {
        .month(today.firstOfMonth.addingMonths(-1))
    }

    /// The period of `period=` (`2026-09`, `2026-Q3`, `2026`), or of `from`/`to` when they span exactly
    /// one month, quarter or year once widened to whole months (what earlier clients send); by
    /// default the latest month that has ended. Anything else is refused: `not_a_published_period`.
    public static func parse(period: String?, from: String?, to: String?, today: LocalDate, fields: inout FieldValidator) -> PublicPeriod {
        let fallback = latest(today: today)
        if let period {
            guard from == nil && to == nil else {
                fields.fail("period", "with_from_or_to")
                return fallback
            }
            guard let parsed = parse(period), LocalDate.supported.contains(parsed.days.from), LocalDate.supported.contains(parsed.days.to) else {
                fields.fail("period", "not_a_published_period")
                return fallback
            }
            return parsed
        }
        guard from != nil || to != nil else { return fallback }
        let span = StatisticsPeriod.parse(from: from, to: to, granularity: .month, today: today, fields: &fields).wholeMonthsAround
        guard fields.isValid else { return fallback }
        let (first, last) = (span.from, span.to)
        if first.firstOfMonth == last.firstOfMonth { return .month(first) }
        if first.year == last.year, first.month % 3 == 1, last.month == first.month + 2 { return .quarter(year: first.year, quarter: first.month / 3 + 1) }
        if first.year == last.year, first.month == 1, last.month == 12 { return .year(first.year) }
        fields.fail("period", "not_a_published_period")
        return fallback
    }

    static func parse(_ text: String) -> PublicPeriod? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard let yearText = parts.first, yearText.count == 4, yearText.allSatisfy(\.isASCII), let year = Int(yearText) else { return nil }
        switch parts.count {
        case 1: return .year(year)
        case 2 where parts[1].count == 2 && parts[1].first == "Q":
            guard let quarter = Int(parts[1].dropFirst()), (1...4).contains(quarter) else { return nil }
            return .quarter(year: year, quarter: quarter)
        case 2 where parts[1].count == 2:
            guard parts[1].allSatisfy(\.isASCII), let month = Int(parts[1]), (1...12).contains(month) else { return nil }
            return .month(LocalDate(year: year, month: month, day: 1))
        default: return nil
        }
    }
}
