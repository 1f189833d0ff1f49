import Foundation
import Hummingbird
import HummingbirdTesting
import RedressAPI
import RedressCore
import StoreTestSupport
import Testing
import TestSupport

/// The statistics against a fixture computed by hand, one case per edge of Docs/metrics.md.
@Suite("Platform statistics")
struct StatisticsTests {
    /// A complaint against platform A with one refund demand of `refund` fen (none when 0).
    static func body(_ world: World, category: String, refund: Int, platform: String? = nil) -> [String: Any] {
        [
            "platform_id": platform ?? world.platformA,
            "category": category,
            "title": "统计用投诉",
            "description": "用于统计口径测试的投诉。",
            "order": ["order_no": "ST-\(category)-\(refund)", "product_name": "游戏点卡", "amount_paid": 60_000, "currency": "CNY"],
            "demands": refund > 0 ? [["kind": "refund", "amount": refund]] : [["kind": "apology"]],
        ]
    }

    /// Platform A's cases (all filed through the API, the clock moved by hand):
    ///
    /// | case | filed (+08:00) | category | refund demanded | what happens | counts as |
    /// | C1 | 09-24 10:00 | non_delivery | 50,000 | proposal after 24 h, accepted, fulfilled, rated 4 | responded on time, resolved with money, refunded 30,000 |
    /// | C2 | 09-24 10:00 | not_as_described | 20,000 | silent past its standard deadline (10-12), answered 10-13 10:00 | responded late (456 h) |
    /// | C3 | 09-24 10:00 | other | 5,000 | withdrawn on 09-25 before any answer, inside its standard deadline | withdrawn, not counted |
    /// | C4 | 09-24 10:00 | service_breach | 8,000 | silent past its standard deadline, escalated | due, escalated, never responded |
    /// | C5 | 10-01 00:30 | other | none | nothing yet (09-30 in UTC), inside its standard deadline | counted, not due, awaiting response, October |
    /// | C6 | 09-24 10:00 | non_delivery | 10,000 | proposal after 2 h, accepted, not yet fulfilled | responded on time, not refunded |
    /// | C7 | 09-24 10:00 | not_as_described | 7,000 | reasoned rejection after 48 h | responded on time |
    ///
    /// and one case of platform B, which platform A's numbers must not include.
    @Test func theFixtureAddsUpAsDocumented() async throws {
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        try await withTestApp(configuration: ComplaintJourneyTests.configuration(clock), world: .seeded) { app in
            var world = try await app.makeWorld()
            var consumer = world.token("consumer")
            func file(_ category: String, _ refund: Int, platform: String? = nil) async throws -> String {
                try await app.create("/api/v1/complaints", token: consumer, Self.body(world, category: category, refund: refund, platform: platform))
            }
            let c1 = try await file("non_delivery", 50_000)
            let c2 = try await file("not_as_described", 20_000)
            let c3 = try await file("other", 5_000)
            let c4 = try await file("service_breach", 8_000)
            let c6 = try await file("non_delivery", 10_000)
            let c7 = try await file("not_as_described", 7_000)

            clock.set("2026-09-24T12:00:00+08:00")
            try await app.step(c6, "respond", as: world.token("platform_staff_a"), ["decision": "propose", "proposal": ["refund": 10_000]])
            try await app.step(c6, "accept", as: consumer)

            clock.set("2026-09-25T10:00:00+08:00")
            try await world.logInAgain(app)
            consumer = world.token("consumer")
            try await app.step(c1, "respond", as: world.token("platform_staff_a"), ["decision": "propose", "proposal": ["refund": 30_000]])
            try await app.step(c1, "accept", as: consumer)
            try await app.step(c1, "confirm_fulfilment", as: consumer)
            try await app.step(c1, "rate", as: consumer, ["rating": 4])
            try await app.step(c3, "withdraw", as: consumer)

            clock.set("2026-09-26T10:00:00+08:00")
            try await world.logInAgain(app)
            consumer = world.token("consumer")
            try await app.step(c7, "respond", as: world.token("platform_staff_a"), ["decision": "reject", "reason": "订单已按约定交付"])

            clock.set("2026-09-30T23:30:00+08:00")
            try await world.logInAgain(app)
            consumer = world.token("consumer")
            _ = try await file("non_delivery", 59_000, platform: world.platformB)
            clock.set("2026-10-01T00:30:00+08:00")
            _ = try await file("other", 0)

            clock.set("2026-10-13T09:00:00+08:00")
            try await world.logInAgain(app)
            consumer = world.token("consumer")
            _ = try await ComplaintJourneyTests.job(app, clock).runOnce()
            clock.set("2026-10-13T10:00:00+08:00")
            try await app.step(c2, "respond", as: world.token("platform_staff_a"), ["decision": "propose", "proposal": ["refund": 20_000]])
            try await app.step(c4, "escalate", as: consumer, ["mediation_body_id": world.bodyA])

            let stats = try await app.request(
                .get, "/api/v1/stats/platforms/\(world.platformA)?from=2026-09-01&to=2026-10-31", token: world.token("platform_staff_a"))
            #expect(stats.status == .ok, "\(stats.text)")
            let totals = try #require(stats.json["totals"].present)
            let expected: [String: Int] = [
                "complaints": 7, "counted": 6, "due": 5, "responded": 4, "responded_on_time": 3, "awaiting_response": 1, "resolved": 1,
                "resolved_monetary": 1, "resolved_non_monetary": 0, "closed_with_explanation": 0, "escalated": 1, "withdrawn": 1,
                "invalid": 0, "amount_claimed": 95_000, "amount_refunded": 30_000, "ratings": 0,
            ]
            for (key, value) in expected.sorted(by: { $0.key < $1.key }) {
                #expect(totals[key].int == value, "\(key)")
            }
            // Responses over the due cases (C5 still has time), the rest over the counted ones (not C3).
            #expect(Self.rate(totals, "response_rate") == Expected(0.8, 4, 5))
            #expect(Self.rate(totals, "on_time_rate") == Expected(0.6, 3, 5))
            #expect(Self.rate(totals, "resolution_rate") == Expected(0.1667, 1, 6))
            #expect(Self.rate(totals, "escalation_rate") == Expected(0.1667, 1, 6))
            // 2, 24, 48 and 456 hours: the mean of the middle two.
            #expect(totals["median_first_response_hours"].double == 36)
            // The platform never sees a rating, not even summed by day, nor a mediator (a day's figures
            // would show single ones); auditors do.
            #expect(totals["satisfaction"].isNull)
            let asMediator = try await app.request(
                .get, "/api/v1/stats/platforms/\(world.platformA)?from=2026-09-01&to=2026-10-31", token: world.token("mediator_a"))
            #expect(asMediator.json["totals"]["ratings"].int == 0)
            let asBody = try await app.request(
                .get, "/api/v1/stats/platforms/\(world.platformA)?from=2026-09-01&to=2026-10-31", token: world.token("auditor"))
            #expect(asBody.json["totals"]["ratings"].int == 1)
            #expect(asBody.json["totals"]["satisfaction"].double == 4)

            let categories = stats.json["by_category"].array
            #expect(categories.map { $0["category"].string } == ["non_delivery", "not_as_described", "service_breach", "other"])
            let nonDelivery = try #require(categories.first?["metrics"].present)
            #expect(nonDelivery["complaints"].int == 2)
            #expect(nonDelivery["responded_on_time"].int == 2)
            #expect(nonDelivery["median_first_response_hours"].double == 13)
            let serviceBreach = try #require(categories[2]["metrics"].present)
            #expect(serviceBreach["median_first_response_hours"].isNull)
            #expect(Self.rate(serviceBreach, "response_rate") == Expected(0, 0, 1))

            let series = stats.json["series"].array
            #expect(series.map { $0["period"].string } == ["2026-09", "2026-10"])
            #expect(series[0]["metrics"]["complaints"].int == 6)
            #expect(series[1]["metrics"]["complaints"].int == 1)
            #expect(series[1]["metrics"]["median_first_response_hours"].isNull)

            // A period that ends before C5's local day, partial months, and days.
            let september = try await app.request(
                .get, "/api/v1/stats/platforms/\(world.platformA)?from=2026-09-01&to=2026-09-30", token: world.token("auditor"))
            #expect(september.json["totals"]["complaints"].int == 6)
            let straddling = try await app.request(
                .get, "/api/v1/stats/platforms/\(world.platformA)?from=2026-09-24&to=2026-10-01", token: world.token("mediator_a"))
            #expect(straddling.json["totals"]["complaints"].int == 7)
            let later = try await app.request(
                .get, "/api/v1/stats/platforms/\(world.platformA)?from=2026-09-25&to=2026-12-31", token: world.token("mediator_a"))
            #expect(later.json["totals"]["complaints"].int == 1)
            let daily = try await app.request(
                .get, "/api/v1/stats/platforms/\(world.platformA)?from=2026-09-24&to=2026-10-01&granularity=day", token: world.token("auditor"))
            let days = daily.json["series"].array
            #expect(days.count == 8)
            #expect(days.map { $0["metrics"]["complaints"].int } == [6, 0, 0, 0, 0, 0, 0, 1])

            // Every platform at once: B has its one complaint.
            let all = try await app.request(.get, "/api/v1/stats/platforms?from=2026-09-01&to=2026-10-31", token: world.token("auditor"))
            let items = all.json["items"].array
            let complaintsByName = Dictionary(uniqueKeysWithValues: items.map {
                ($0["platform"]["name"].string ?? "", $0["totals"]["complaints"].int ?? -1)
            })
            #expect(complaintsByName.values.sorted() == [1, 7])
            #expect(try await app.statisticsDiscrepancies() == 0)
        }
    }

    struct Expected: Equatable {
        let value: Double?
        let numerator: Int
        let denominator: Int
        init(_ value: Double?, _ numerator: Int, _ denominator: Int) {
            self.value = value
            self.numerator = numerator
            self.denominator = denominator
        }
    }

    static func rate(_ metrics: JSON, _ name: String) -> Expected? {
        let rate = metrics[name]
        guard rate.object != nil else { return nil }
        return Expected(rate["value"].double, rate["numerator"].int ?? -1, rate["denominator"].int ?? -1)
    }

    /// Response seconds are kept in arrays of at most 1,024 per platform, day and category; a day with
    /// more answers (a collapse) fills further parts, and the median reads them all.
    @Test func aDayWithThousandsOfAnswersFillsPartsAndKeepsItsMedian() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            // 2,100 answers after 1 … 2,100 minutes, written as the rollup's trigger writes them, one by one.
            let parts = try await app.asOwner { owner -> String? in
                _ = try await owner.query(
                    """
                    SELECT redress_add_response_seconds(\(UUID(uuidString: world.platformA)!), '2025-03-14'::date, 'other', v * 60)
                    FROM generate_series(1, 2100) v
                    """, logger: TestDatabase.logger)
                return try await owner.scalar(
                    """
                    SELECT (SELECT string_agg(cardinality(seconds)::text, ',' ORDER BY part) FROM platform_response_seconds
                            WHERE platform_id = '\(unescaped: world.platformA)' AND day = '2025-03-14')
                           || ' ' || (SELECT string_agg(cardinality(seconds)::text, ',' ORDER BY part) FROM platform_monthly_response_seconds
                            WHERE platform_id = '\(unescaped: world.platformA)' AND month = '2025-03-01')
                    """, as: String.self)
            }
            #expect(parts == "1024,1024,52 1024,1024,52")
            // The mean of minutes 1,050 and 1,051: 17.508 hours; read from the month's arrays, the day's,
            // and both (a period that starts in the middle of a month).
            for query in ["from=2025-03-01&to=2025-03-31", "from=2025-03-01&to=2025-03-31&granularity=day", "from=2025-03-14&to=2025-04-30"] {
                let stats = try await app.request(.get, "/api/v1/stats/platforms/\(world.platformA)?\(query)", token: world.token("auditor"))
                #expect(stats.json["totals"]["median_first_response_hours"].double == 17.51, "\(query): \(stats.text)")
                let other = stats.json["by_category"].array.first { $0["category"].string == "other" }
                #expect(other?["metrics"]["median_first_response_hours"].double == 17.51, "\(query)")
                let series = stats.json["series"].array.filter { $0["metrics"]["median_first_response_hours"].double != nil }
                #expect(series.map { $0["metrics"]["median_first_response_hours"].double } == [17.51], "\(query)")
            }
        }
    }

    @Test func badPeriodsAreRefusedAndOtherPlatformsForbidden() async throws {
        try await withTestApp(world: .seeded) { app in
            let world = try await app.makeWorld()
            let staff = world.token("platform_staff_a")
            let base = "/api/v1/stats/platforms/\(world.platformA)"
            for (query, field, reason) in [
                ("from=2026-13-01", "from", "invalid_date"), ("to=yesterday", "to", "invalid_date"),
                ("from=2026-10-01&to=2026-09-01", "to", "before_from"), ("granularity=week", "granularity", "unknown_value"),
                ("from=2025-01-01&to=2026-06-01&granularity=day", "to", "period_too_long"),
                ("from=2000-01-01&to=2026-06-01", "to", "period_too_long"),
            ] {
                let response = try await app.request(.get, "\(base)?\(query)", token: staff)
                #expect(response.status == .unprocessableContent, "\(query)")
                let errors = response.json["invalid_fields"].array
                #expect(errors.contains { $0["field"].string == field && $0["reason"].string == reason }, "\(query): \(response.text)")
            }
            #expect(try await app.request(.get, "/api/v1/stats/platforms/\(world.platformB)", token: staff).status == .forbidden)
            #expect(try await app.request(.get, "/api/v1/stats/platforms/\(UUID())", token: world.token("auditor")).status == .notFound)
            // With no query, the last twelve months, by month.
            let defaults = try await app.request(.get, base, token: staff)
            #expect(defaults.json["series"].array.count == 12)
        }
    }
}
