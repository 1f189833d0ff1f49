import Foundation
import Hummingbird
import RedressCore
import RedressStore

/// Per-platform statistics for the people who manage by them: a platform's staff (their own
/// platform), mediation bodies and auditors (every platform). Docs/metrics.md defines the numbers.
struct StatisticsController {
    let database: Database
    let configuration: APIConfiguration

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/api/v1/stats/platforms", listPlatforms),
            Endpoint(.get, "/api/v1/stats/platforms/:id", readPlatform),
        ]
    }

    /// `from`, `to` and `granularity` of a statistics request, validated together.
    struct PeriodQuery {
        let period: StatisticsPeriod
        let granularity: StatisticsGranularity

        init(_ request: Request, today: LocalDate, extraFields: (inout FieldValidator) -> Void = { _ in }) throws {
            let query = request.uri.queryParameters
            var fields = FieldValidator()
            var granularity = StatisticsGranularity.month
            if let value = query["granularity"] {
                if let parsed = StatisticsGranularity(rawValue: String(value)) { granularity = parsed } else { fields.fail("granularity", "unknown_value") }
            }
            period = StatisticsPeriod.parse(
                from: query["from"].map(String.init), to: query["to"].map(String.init), granularity: granularity, today: today,
                fields: &fields)
            self.granularity = granularity
            extraFields(&fields)
            try fields.check()
        }
    }

    /// A rating is seen by its consumer and by the mediation body of its case: figures cut by day
    /// or category would show single ones, so only auditors read statistics with ratings (the
    /// public report publishes satisfaction by its own rule).
    static func showsRatings(to context: RedressRequestContext) -> Bool {
        context.principal.actor.map { [.auditor, .admin].contains($0.role) } ?? false
    }

    @Sendable func readPlatform(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PlatformStatisticsResponse> {
        let id = try context.parameters.id()
        try Policy.authorize(context.principal, .readPlatformStatistics(platformID: id))
        let query = try PeriodQuery(request, today: configuration.calendarDay(of: configuration.clock.now()))
        return JSONResponse(body: try await figures(of: id, query: query, context: context))
    }

    /// One platform's figures, with their series (for the API and the console).
    func figures(of id: UUID, query: PeriodQuery, context: RedressRequestContext) async throws -> PlatformStatisticsResponse {
        try Policy.authorize(context.principal, .readPlatformStatistics(platformID: id))
        let (platform, statistics) = try await database.readTransaction(as: context.identity, origin: context.origin) { transaction in
            guard let platform = try await transaction.platform(id: id) else { throw RedressError.notFound }
            let statistics = try await transaction.platformStatistics(
                platformIDs: [id], period: query.period, granularity: query.granularity, medians: true)
            return (platform, statistics[id])
        }
        return PlatformStatisticsResponse(
            platform: platform, statistics: statistics, period: query.period, granularity: query.granularity,
            timeZone: configuration.timeZone, withSeries: true, showsRatings: Self.showsRatings(to: context))
    }

    /// Every platform, a page at a time (in the directory's order), with totals and categories; the
    /// series of one platform is at its own endpoint.
    @Sendable func listPlatforms(_ request: Request, context: RedressRequestContext) async throws -> JSONResponse<PageResponse<PlatformStatisticsResponse>> {
        try Policy.authorize(context.principal, .readAllPlatformStatistics)
        let query = try PeriodQuery(request, today: configuration.calendarDay(of: configuration.clock.now()))
        let pageRequest = try request.pageRequest()
        let (page, statistics) = try await database.readTransaction(as: context.identity, origin: context.origin) { transaction in
            let page = try await transaction.platforms(page: pageRequest)
            let statistics = try await transaction.platformStatistics(
                platformIDs: page.items.map(\.id), period: query.period, granularity: query.granularity, medians: true)
            return (page, statistics)
        }
        return JSONResponse(
            body: PageResponse(page) { platform in
                PlatformStatisticsResponse(
                    platform: platform, statistics: statistics[platform.id], period: query.period, granularity: query.granularity,
                    timeZone: configuration.timeZone, withSeries: false, showsRatings: Self.showsRatings(to: context))
            })
    }
}
