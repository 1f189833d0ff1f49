import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// The working-day calendar: public to read, maintained by an admin.
struct CalendarController {
    let database: Database
    let configuration: APIConfiguration

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/api/v1/calendar", list),
            Endpoint(.put, "/api/v1/calendar/:date", setDay),
            Endpoint(.delete, "/api/v1/calendar/:date", removeDay),
        ]
    }

    struct DayRequest: Decodable {
        let kind: String?
        let name: String?
    }

    struct DayResponse: Encodable, Sendable {
        let date: String
        let kind: CalendarDay.Kind
        let name: String
        /// Whether the day is worked, given its kind.
        let workingDay: Bool

        init(_ day: CalendarDay) {
            date = day.date.description
            kind = day.kind
            name = day.name
            workingDay = day.kind == .workday
        }
    }

    struct ListResponse: Encodable, Sendable {
        let from: String
        let to: String
        let timeZone: String
        let items: [DayResponse]
    }

    /// The listed days of a period of at most 366 days (default: this year and the next).
    @Sendable func list(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<ListResponse> {
        try Policy.authorize(context.principal, .readCalendar)
        let query = request.uri.queryParameters
        var fields = FieldValidator()
        let thisYear = WorkingCalendar(days: [], timeZone: configuration.timeZone).localDate(of: configuration.clock.now()).year
        let from = Self.date(query["from"].map(String.init), field: "from", default: LocalDate(year: thisYear, month: 1, day: 1), &fields)
        let to = Self.date(query["to"].map(String.init), field: "to", default: LocalDate(year: thisYear + 1, month: 12, day: 31), &fields)
        if !LocalDate.supported.contains(from) { fields.fail("from", "out_of_range") }
        if !LocalDate.supported.contains(to) || to < from || from.adding(days: 731) < to { fields.fail("to", "out_of_range") }
        try fields.check()
        let days = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.calendarDays(from: from, through: to)
        }
        return JSONResponse(
            body: ListResponse(from: from.description, to: to.description, timeZone: configuration.timeZone.identifier, items: days.map(DayResponse.init)))
    }

    @Sendable func setDay(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<DayResponse> {
        try Policy.authorize(context.principal, .manageCalendar)
        guard let date = context.parameters.get("date").flatMap(LocalDate.init), LocalDate.supported.contains(date) else { throw RedressError.notFound }
        let body = try await request.decodeJSON(DayRequest.self, limit: configuration.maxJSONBodyBytes)
        var fields = FieldValidator()
        let kind = CalendarDay.Kind(rawValue: body.kind ?? "")
        if kind == nil { fields.fail("kind", body.kind == nil ? "required" : "unknown_value") }
        let name = fields.text(body.name, field: "name", maxLength: 100)
        try fields.check()
        let day = CalendarDay(date: date, kind: kind ?? .holiday, name: name)
        _ = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.setCalendarDay(day, actor: context.auditActor)
        }
        return JSONResponse(body: DayResponse(day))
    }

    @Sendable func removeDay(_ request: Request, context: RedressRequestContext) async throws -> Response {
        try Policy.authorize(context.principal, .manageCalendar)
        guard let date = context.parameters.get("date").flatMap(LocalDate.init), LocalDate.supported.contains(date) else { throw RedressError.notFound }
        let removed = try await database.transaction(as: context.identity, origin: context.origin) { transaction in
            try await transaction.removeCalendarDay(date, actor: context.auditActor)
        }
        guard removed else { throw RedressError.notFound }
        return Response(status: .noContent)
    }

    static func date(_ text: String?, field: String, default defaultValue: LocalDate, _ fields: inout FieldValidator) -> LocalDate {
        guard let text else { return defaultValue }
        guard let date = LocalDate(text) else {
            fields.fail(field, "invalid_date")
            return defaultValue
        }
        return date
    }
}
