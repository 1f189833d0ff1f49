import Foundation
import PostgresNIO
import RedressCore

extension Transaction {
    /// The listed days between two dates, inclusive.
    public func calendarDays(from: LocalDate, through: LocalDate) async throws -> [CalendarDay] {
        let rows = try await execute(CalendarDaysStatement(from: from.description, through: through.description))
        var days: [CalendarDay] = []
        for try await row in rows {
            let (day, kind, name) = try row.decode((String, String, String).self)
            if let date = LocalDate(day), let kind = CalendarDay.Kind(rawValue: kind) {
                days.append(CalendarDay(date: date, kind: kind, name: name))
            }
        }
        return days
    }

    /// The calendar that governs deadlines starting on `date`: its listed days from there on for
    /// long enough to cover any deadline the product allows (60 working days).
    public func workingCalendar(from date: LocalDate, timeZone: TimeZone) async throws -> WorkingCalendar {
        WorkingCalendar(days: try await calendarDays(from: date, through: date.adding(days: 200)), timeZone: timeZone)
    }

    /// The last day the calendar lists, if any.
    public func lastCalendarDay() async throws -> LocalDate? {
        for try await day in try await query("SELECT to_char(max(day), 'YYYY-MM-DD') FROM calendar_days").decode(String?.self) {
            return day.flatMap(LocalDate.init)
        }
        return nil
    }

    /// Lists a day (or changes how it is listed). Returns the day as it was before, if it was listed.
    @discardableResult
    public func setCalendarDay(_ day: CalendarDay, actor: AuditActor) async throws -> CalendarDay? {
        let before = try await calendarDays(from: day.date, through: day.date).first
        try await query(
            """
            INSERT INTO calendar_days (day, kind, name) VALUES (\(day.date.description)::date, \(day.kind.rawValue), \(day.name))
            ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name, updated_at = now()
            """)
        try await record(
            AuditEntry(
                chain: AuditChain.administration, action: "calendar.set", entityType: "calendar_day",
                entityID: Self.calendarEntityID(day.date), actor: actor,
                changes: [
                    "day": .init(after: .string(day.date.description)),
                    "kind": .init(before: before.map { .string($0.kind.rawValue) }, after: .string(day.kind.rawValue)),
                    "name": .init(before: before.map { .string($0.name) }, after: .string(day.name)),
                ]))
        return before
    }

    /// Unlists a day: it follows its weekday again. Returns whether it was listed.
    public func removeCalendarDay(_ date: LocalDate, actor: AuditActor) async throws -> Bool {
        guard let before = try await calendarDays(from: date, through: date).first else { return false }
        try await query("DELETE FROM calendar_days WHERE day = \(date.description)::date")
        try await record(
            AuditEntry(
                chain: AuditChain.administration, action: "calendar.remove", entityType: "calendar_day",
                entityID: Self.calendarEntityID(date), actor: actor,
                changes: [
                    "day": .init(after: .string(date.description)),
                    "kind": .init(before: .string(before.kind.rawValue), after: .null),
                ]))
        return true
    }

    /// Calendar days have no id of their own; the audit trail names them by a UUID derived from the date.
    static func calendarEntityID(_ date: LocalDate) -> UUID {
        UUID(uuidString: String(format: "00000000-0000-0000-0000-%04d%02d%02d0000", date.year, date.month, date.day))!
    }
}

extension Transaction {
    /// What a transition needs to set deadlines: this transaction's time, the calendar from today on
    /// (today where working days are counted, `timeZone`), and the stage lengths: the platform's as
    /// promised when the case was filed (`promise`; its current policy for a new case or one filed
    /// before promises were kept), never longer than the operator's `standard`, and (once known) the
    /// mediation body's.
    public func workflowContext(
        platformID: UUID, promise: PlatformPromise?, mediationBodyID: UUID?, timeZone: TimeZone, standard: StandardDeadlines
    ) async throws -> ComplaintWorkflow.Context {
        let today = WorkingCalendar(days: [], timeZone: timeZone).localDate(of: now)
        let calendar = try await workingCalendar(from: today, timeZone: timeZone)
        var policy = try await stagePolicy(platformID: platformID, mediationBodyID: mediationBodyID)
        policy.keep(promise ?? policy.promise, within: standard)
        return ComplaintWorkflow.Context(now: now, calendar: calendar, policy: policy)
    }
}
