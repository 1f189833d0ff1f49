import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// The anonymous public report, as JSON, CSV and HTML pages. Whoever asks, it is built with the
/// anonymous identity, so that a signed-in caller neither sees more nor poisons the cache.
struct PublicReportController {
    let database: Database
    let configuration: APIConfiguration
    let cache: ReportCache

    init(database: Database, configuration: APIConfiguration) {
        self.database = database
        self.configuration = configuration
        self.cache = ReportCache(lifetime: .seconds(configuration.reportCacheSeconds))
    }

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/public/v1/reports/platforms", platformsReport),
            Endpoint(.get, "/reports", overviewPage),
            Endpoint(.get, "/reports/platforms/:id", platformPage),
        ]
    }

    @Sendable func platformsReport(_ request: Request, context: RedressRequestContext) async throws -> Response {
        try Policy.authorize(context.principal, .readPublicReport)
        let query = request.uri.queryParameters
        let csv: Bool
        switch query["format"].map(String.init) {
        case "csv": csv = true
        case "json": csv = false
        case nil: csv = (request.headers[.accept] ?? "").contains("text/csv")
        default: throw RedressError.validation([.init(field: "format", reason: "unknown_value")])
        }
        let timeZone = configuration.timeZone
        let rendered = try await rendering(request, context: context, variant: csv ? "csv" : "json") { built in
            if csv { return PublicReportCSV.render(built.report) }
            let json = try APIJSON.encode(PublicReportResponse(built.report, generatedAt: built.generatedAt, timeZone: timeZone))
            return String(decoding: json, as: UTF8.self)
        }
        return cacheable(request, rendered, contentType: csv ? "text/csv; charset=utf-8" : "application/json; charset=utf-8", vary: true)
    }

    @Sendable func overviewPage(_ request: Request, context: RedressRequestContext) async throws -> Response {
        try Policy.authorize(context.principal, .readPublicReport)
        let language = try Self.pageLanguage(request)
        let rendered = try await rendering(request, context: context, variant: "page-\(language.rawValue)") { built in
            ReportPage.overview(built.report, generatedAt: built.generatedAt, language: language)
        }
        return cacheable(request, rendered, contentType: "text/html; charset=utf-8", vary: false)
    }

    @Sendable func platformPage(_ request: Request, context: RedressRequestContext) async throws -> Response {
        try Policy.authorize(context.principal, .readPublicReport)
        let id = try context.parameters.id()
        let language = try Self.pageLanguage(request)
        let rendered = try await rendering(request, context: context, variant: "platform-\(id)-\(language.rawValue)") { built in
            built.report.entries.first { $0.platformID == id }.map { entry in
                ReportPage.platform(entry, report: built.report, generatedAt: built.generatedAt, language: language)
            }
        }
        return cacheable(request, rendered, contentType: "text/html; charset=utf-8", vary: false)
    }

    /// A rendering of the report of the request's period (validated), from the cache when it is
    /// fresh; 404 when `render` finds nothing to render.
    func rendering(
        _ request: Request, context: RedressRequestContext, variant: String, render: @escaping @Sendable (ReportCache.Built) throws -> String?
    ) async throws -> ReportCache.Rendered {
        let query = request.uri.queryParameters
        let now = configuration.clock.now()
        let today = configuration.calendarDay(of: now)
        var fields = FieldValidator()
        let published = PublicPeriod.parse(
            period: query["period"].map(String.init), from: query["from"].map(String.init), to: query["to"].map(String.init),
            today: today, fields: &fields)
        try fields.check()
        // Only months, quarters and years are published (Docs/metrics.md, "League tables"); the cache
        // is keyed by their days.
        let period = published.days
        let database = database, configuration = configuration, origin = context.origin
        let rendered = try await cache.rendering(of: period, variant: variant, pinned: published == PublicPeriod.latest(today: today), build: {
            let (sources, calendar) = try await database.readTransaction(as: DatabaseIdentity(.anonymous), origin: origin) { transaction in
                (try await transaction.publicReportSources(period: period),
                 // The calendar around the months that can still be provisional (the last two before
                 // today); older ones are long final whatever their holidays.
                 try await transaction.workingCalendar(from: min(period.to, today).firstOfMonth.addingMonths(-2), timeZone: configuration.timeZone))
            }
            let standard = configuration.standardDeadlines
            // A month is final once a complaint filed at its last moment has had its standard deadline.
            let isFinal = { (month: LocalDate) -> Bool in
                let lastMoment = calendar.endOfDay(month.lastOfMonth)
                return calendar.deadline(workingDays: standard.responseDays, after: lastMoment) < now
            }
            return ReportCache.Built(
                report: PublicReport(
                    period: published, minimumComplaints: configuration.reportMinimumComplaints,
                    minimumRatings: configuration.reportMinimumRatings, standard: standard, today: today, isFinal: isFinal, sources: sources),
                generatedAt: configuration.clock.now())
        }, render: render)
        guard let rendered else { throw RedressError.notFound }
        return rendered
    }

    /// `?lang=en` for English; Simplified Chinese otherwise.
    static func pageLanguage(_ request: Request) throws -> Language {
        switch request.uri.queryParameters["lang"].map(String.init) {
        case nil, "zh", "zh-CN": return .zhCN
        case "en": return .en
        default: throw RedressError.validation([.init(field: "lang", reason: "unknown_value")])
        }
    }

    /// A public answer that browsers and proxies may keep for the cache's lifetime, with a strong
    /// ETag of its bytes; a matching `If-None-Match` gets 304 and no body.
    func cacheable(_ request: Request, _ rendered: ReportCache.Rendered, contentType: String, vary: Bool) -> Response {
        var headers: HTTPFields = [
            .eTag: rendered.eTag,
            .cacheControl: "public, max-age=\(configuration.reportCacheSeconds)",
        ]
        if vary { headers[.vary] = "Accept" }
        if let match = request.headers[.ifNoneMatch],
            match.split(separator: ",").contains(where: {
                let tag = $0.trimmingCharacters(in: .whitespaces)
                return tag == rendered.eTag || tag == "W/\(rendered.eTag)" || tag == "*"
            })
        {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: rendered.body)))
    }
}
