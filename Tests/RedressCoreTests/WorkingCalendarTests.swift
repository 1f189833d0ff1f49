import Foundation
import RedressCore
import Testing

@Suite("Working-day calendar")
struct WorkingCalendarTests {
    static let shanghai = TimeZone(identifier: "Asia/Shanghai")!

    /// The official schedule as the repository ships it.
    static let official: WorkingCalendar = {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/RedressStore/Schema/data/cn-calendar-2025-2026.csv")
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return WorkingCalendar(days: (try? CalendarDay.parse(csv: text)) ?? [], timeZone: shanghai)
    }()

    static func instant(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)!
    }

    /// A deadline as whole milliseconds since 1970: the precision deadlines are defined to.
    func deadline(_ days: Int, after event: String, _ calendar: WorkingCalendar = official) -> Int64 {
        Self.milliseconds(calendar.deadline(workingDays: days, after: Self.instant(event)))
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    static func local(_ text: String) -> Int64 { milliseconds(instant(text)) }

    @Test func theShippedCalendarIsComplete() throws {
        #expect(Self.official.isWorkingDay(LocalDate("2026-10-10")!))  // Saturday, make-up day
        #expect(!Self.official.isWorkingDay(LocalDate("2026-10-01")!))
        #expect(!Self.official.isWorkingDay(LocalDate("2025-01-28")!))
    }

    @Test func productExampleSevenWorkingDaysOverMidAutumnAndNationalDay() {
        // Thursday 2026-09-24: Sep 25–27 and Oct 1–7 are holidays, Saturday Oct 10 is worked.
        #expect(deadline(7, after: "2026-09-24T10:00:00+08:00") == Self.local("2026-10-12T23:59:59.999+08:00"))
    }

    @Test func productExampleThreeWorkingDaysForAMerchant() {
        #expect(deadline(3, after: "2026-09-24T10:00:00+08:00") == Self.local("2026-09-30T23:59:59.999+08:00"))
    }

    @Test func zeroIsTheEventsOwnDayAndOneIsTheNextWorkingDay() {
        #expect(deadline(0, after: "2026-11-25T09:00:00+08:00") == Self.local("2026-11-25T23:59:59.999+08:00"))
        #expect(deadline(1, after: "2026-11-25T09:00:00+08:00") == Self.local("2026-11-26T23:59:59.999+08:00"))
        // Friday evening: the next working day is Monday.
        #expect(deadline(1, after: "2026-11-27T18:00:00+08:00") == Self.local("2026-11-30T23:59:59.999+08:00"))
    }

    @Test func theEventsDayIsTheLocalDayNotTheUTCDay() {
        // 2026-11-25 20:00 UTC is already Thursday 26 in Shanghai.
        #expect(deadline(1, after: "2026-11-25T20:00:00Z") == Self.local("2026-11-27T23:59:59.999+08:00"))
        // An event on a Saturday counts from the following Monday.
        #expect(deadline(1, after: "2026-11-28T12:00:00+08:00") == Self.local("2026-11-30T23:59:59.999+08:00"))
    }

    @Test func holidaysAndMakeUpDaysAcrossTheYearEnd() {
        // 2025-12-31 (Wed): Jan 1–3 are New Year holidays, Sunday Jan 4 is a make-up working day.
        let calendar = Self.official
        #expect(deadline(1, after: "2025-12-31T12:00:00+08:00") == Self.local("2026-01-04T23:59:59.999+08:00"))
        #expect(deadline(2, after: "2025-12-31T12:00:00+08:00") == Self.local("2026-01-05T23:59:59.999+08:00"))
        // Spring Festival 2026: Feb 15–23 rest, Feb 14 (Sat) and Feb 28 (Sat) worked.
        #expect(calendar.isWorkingDay(LocalDate("2026-02-14")!))
        #expect(!calendar.isWorkingDay(LocalDate("2026-02-16")!))
        #expect(deadline(2, after: "2026-02-13T10:00:00+08:00") == Self.local("2026-02-24T23:59:59.999+08:00"))
    }

    @Test func beyondTheListedYearsWeekendsAloneCount() {
        // 2027 is not listed: New Year's Day 2027 (a Friday) counts as a working day.
        #expect(Self.official.isWorkingDay(LocalDate("2027-01-01")!))
        #expect(deadline(2, after: "2026-12-31T10:00:00+08:00") == Self.local("2027-01-04T23:59:59.999+08:00"))
        let weekendsOnly = WorkingCalendar(days: [], timeZone: Self.shanghai)
        #expect(deadline(5, after: "2030-06-03T08:00:00+08:00", weekendsOnly) == Self.local("2030-06-10T23:59:59.999+08:00"))
    }

    @Test func anotherTimeZone() {
        let utc = WorkingCalendar(days: [], timeZone: TimeZone(identifier: "UTC")!)
        #expect(deadline(1, after: "2026-11-25T20:00:00Z", utc) == Self.local("2026-11-26T23:59:59.999Z"))
    }

    @Test func datesAndWeekdays() {
        #expect(LocalDate("2026-09-24")!.isoWeekday == 4)
        #expect(LocalDate("2024-02-29") != nil)
        #expect(LocalDate("2026-02-29") == nil)
        #expect(LocalDate("2026-9-24") == nil)
        #expect(LocalDate("2026-12-31")!.next == LocalDate("2027-01-01")!)
        #expect(LocalDate("2028-02-28")!.next == LocalDate("2028-02-29")!)
        #expect(throws: RedressError.self) { try CalendarDay.parse(csv: "date,kind,name\n2026-13-01,holiday,x") }
    }
}
