import Foundation

/// A day of the civil calendar, without a time or a zone.
public struct LocalDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`; `nil` for anything else, or a day that does not exist.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...LocalDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    public var description: String { String(format: "%04d-%02d-%02d", year, month, day) }

    /// The days Redress stores and reports on. A query outside them is refused (`out_of_range`)
    /// rather than carried to the database, where year 0 does not exist and a period reaching back
    /// to it fails.
    public static let supported = LocalDate(year: 2000, month: 1, day: 1)...LocalDate(year: 2999, month: 12, day: 31)

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// The next day.
    public var next: LocalDate {
        if day < LocalDate.daysIn(month: month, year: year) { return LocalDate(year: year, month: month, day: day + 1) }
        if month < 12 { return LocalDate(year: year, month: month + 1, day: 1) }
        return LocalDate(year: year + 1, month: 1, day: 1)
    }

    public func adding(days: Int) -> LocalDate {
        var date = self
        for _ in 0..<max(days, 0) { date = date.next }
        return date
    }

    /// 1 = Monday … 7 = Sunday (ISO 8601), by Zeller's congruence: no calendar object needed.
    public var isoWeekday: Int {
        var y = year, m = month
        if m < 3 { m += 12; y -= 1 }
        let h = (day + (13 * (m + 1)) / 5 + y + y / 4 - y / 100 + y / 400) % 7  // 0 = Saturday
        return (h + 5) % 7 + 1
    }

    public var isWeekend: Bool { isoWeekday >= 6 }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

/// A day that the official calendar treats differently from its weekday.
public struct CalendarDay: Sendable, Hashable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A rest day, whatever the weekday (an official holiday).
        case holiday
        /// A working day, whatever the weekday (调休上班: a make-up working day on a weekend).
        case workday
    }

    public let date: LocalDate
    public let kind: Kind
    public let name: String

    public init(date: LocalDate, kind: Kind, name: String) {
        self.date = date
        self.kind = kind
        self.name = name
    }
}

/// Working days in the deployment's time zone: Monday to Friday, except where the calendar says
/// otherwise. Days the calendar does not list (including every day after its last listed year)
/// follow their weekday.
public struct WorkingCalendar: Sendable {
    public let timeZone: TimeZone
    private let overrides: [LocalDate: CalendarDay.Kind]

    public init(days: [CalendarDay], timeZone: TimeZone) {
        self.timeZone = timeZone
        self.overrides = Dictionary(days.map { ($0.date, $0.kind) }, uniquingKeysWith: { _, last in last })
    }

    public func isWorkingDay(_ date: LocalDate) -> Bool {
        switch overrides[date] {
        case .holiday: false
        case .workday: true
        case nil: !date.isWeekend
        }
    }

    /// The civil date of an instant in this calendar's time zone.
    public func localDate(of instant: Date) -> LocalDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: instant)
        return LocalDate(year: parts.year!, month: parts.month!, day: parts.day!)
    }

    /// The last millisecond (23:59:59.999 local) of a day.
    public func endOfDay(_ date: LocalDate) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let next = date.next
        let startOfNext = calendar.date(from: DateComponents(year: next.year, month: next.month, day: next.day))!
        // From whole milliseconds since 1970, so that the same deadline is always the same Double.
        let milliseconds = (startOfNext.timeIntervalSince1970 * 1000).rounded() - 1
        return Date(timeIntervalSince1970: milliseconds / 1000)
    }

    /// The N-th working day after the day of `instant`; the instant's own day never counts. N = 0 is
    /// the instant's own day.
    public func workingDay(_ n: Int, after instant: Date) -> LocalDate {
        var date = localDate(of: instant)
        var counted = 0
        while counted < n {
            date = date.next
            if isWorkingDay(date) { counted += 1 }
        }
        return date
    }

    /// A deadline of N working days from an event: the end (23:59:59.999 local) of the N-th working
    /// day after the event's day (Docs/configuration.md, "The working-day calendar").
    public func deadline(workingDays n: Int, after instant: Date) -> Date {
        endOfDay(workingDay(n, after: instant))
    }
}

extension CalendarDay {
    /// Reads `date,kind,name` lines (with a header line), as in Schema/data/.
    public static func parse(csv: String) throws(RedressError) -> [CalendarDay] {
        var days: [CalendarDay] = []
        for (index, line) in csv.split(whereSeparator: \.isNewline).enumerated() where index > 0 {
            let fields = line.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, let date = LocalDate(String(fields[0])), let kind = Kind(rawValue: String(fields[1])) else {
                throw RedressError(.validationFailed, detail: "line \(index + 1) is not date,kind,name")
            }
            days.append(CalendarDay(date: date, kind: kind, name: String(fields[2])))
        }
        return days
    }
}
