import Foundation
import Hummingbird
import HummingbirdTesting
@testable import RedressAPI
import RedressCore
import StoreTestSupport
import Testing
import TestSupport

/// The public report after the lifecycle scenario of issue 4, and the promise that it never carries
/// anything but platform-level aggregates.
@Suite("Public reports")
struct PublicReportTests {
    /// Words planted in the scenario's complaints, messages and accounts: none may reach a public output.
    static let planted = [
        "zhen.shiyin@example.cn", "139 1111 2222", "13911112222", "甄士隐", "plant.mail@example.cn", "13987654321",
        "ORD-PLANTED-778899", "紫罗兰", "独角兽暗号", "2026092422001",
    ]

    static func body(_ world: World) -> [String: Any] {
        [
            "platform_id": world.platformA,
            "category": "non_delivery",
            "title": "紫罗兰点卡未到账",
            "description": "联系邮箱 plant.mail@example.cn，电话 13987654321。卡密一直未发放。",
            "order": ["order_no": "ORD-PLANTED-778899", "product_name": "紫罗兰点卡", "amount_paid": 50_000, "currency": "CNY",
                      "payment_channel": "alipay", "payment_ref": "2026092422001"],
            "demands": [["kind": "refund", "amount": 50_000]],
        ]
    }

    /// Two complaints on platform A: one answered on time and still open, one escalated after the
    /// platform's silence, settled, fulfilled and rated 5.
    func scenario(_ app: TestApp, _ clock: ManualClock) async throws -> World {
        var world = try await app.makeWorld()
        // A consumer of the scenario's own, whose name, address and phone are planted words.
        let registered = try await app.register(
            ["email": "zhen.shiyin@example.cn", "password": worldPassword, "display_name": "甄士隐", "phone": "+86 139 1111 2222"])
        #expect(registered.status == .created, "\(registered.text)")
        var consumer = try await app.login("zhen.shiyin@example.cn")
        let answered = try await app.create("/api/v1/complaints", token: consumer, Self.body(world))
        let escalated = try await app.create("/api/v1/complaints", token: consumer, Self.body(world))
        let message = try await app.request(
            .post, "/api/v1/complaints/\(answered)/messages", token: consumer, json: ["body": "独角兽暗号：请尽快处理"])
        #expect(message.status == .created)
        clock.set("2026-09-25T10:00:00+08:00")
        try await world.logInAgain(app)
        try await app.step(answered, "respond", as: world.token("platform_staff_a"), ["decision": "propose", "proposal": ["refund": 20_000]])

        clock.set("2026-10-13T09:00:00+08:00")
        try await world.logInAgain(app)
        _ = try await ComplaintJourneyTests.job(app, clock).runOnce()
        consumer = try await app.login("zhen.shiyin@example.cn")
        try await app.step(escalated, "escalate", as: consumer, ["mediation_body_id": world.bodyA])
        try await app.step(escalated, "triage", as: world.token("mediator_a"), ["decision": "accept"])
        try await app.step(escalated, "assign", as: world.token("mediation_lead_a"), ["mediator_id": world.accounts["mediator_a"]!.id])
        try await app.step(escalated, "propose", as: world.token("mediator_a"), ["terms": ["refund": 50_000]])
        try await app.step(escalated, "accept", as: consumer)
        try await app.step(escalated, "accept", as: world.token("platform_staff_a"))
        try await app.step(escalated, "confirm_fulfilment", as: consumer)
        try await app.step(escalated, "rate", as: consumer, ["rating": 5])
        return world
    }

    static func configuration(_ clock: ManualClock, minimum: Int) -> APIConfiguration {
        var configuration = ComplaintJourneyTests.configuration(clock)
        configuration.reportMinimumComplaints = minimum
        configuration.reportMinimumRatings = minimum
        return configuration
    }

    @Test func theScenarioIsPublishedAsAggregatesOnly() async throws {
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        try await withTestApp(configuration: Self.configuration(clock, minimum: 1)) { app in
            let world = try await scenario(app, clock)
            let period = "period=2026-09"

            // The platform's own statistics, as issue 4 states them.
            let stats = try await app.request(
                .get, "/api/v1/stats/platforms/\(world.platformA)?from=2026-09-01&to=2026-10-31", token: world.token("platform_admin_a"))
            let totals = try #require(stats.json["totals"].present)
            for (key, value) in ["complaints": 2, "responded": 1, "responded_on_time": 1, "resolved": 1, "escalated": 1,
                                 "amount_claimed": 100_000, "amount_refunded": 50_000].sorted(by: { $0.key < $1.key }) {
                #expect(totals[key].int == value, "\(key)")
            }
            for rate in ["response_rate", "on_time_rate", "resolution_rate"] {
                #expect(totals[rate]["value"].double == 0.5, "\(rate)")
            }

            let json = try await app.request(.get, "/public/v1/reports/platforms?\(period)")
            #expect(json.status == .ok)
            #expect(json.contentType?.hasPrefix("application/json") == true)
            let platforms = json.json["platforms"].array
            let first = try #require(platforms.first)
            #expect(first["platform"]["id"].string == world.platformA)
            #expect(first["rank"].int == 1)
            let figures = try #require(first["figures"].present)
            #expect(figures["complaints"].int == 2)
            #expect(figures["resolved"].int == 1)
            #expect(figures["on_time_rate"]["value"].double == 0.5)
            #expect(figures["amount_refunded"].int == 50_000)
            // The one rating was given in October: September's satisfaction has none.
            #expect(figures["satisfaction"].isNull && figures["ratings"].int == 0)
            #expect(figures["counted"].int == 2 && figures["due"].int == 2 && figures["withdrawn"].int == 0 && figures["invalid"].int == 0)
            #expect(figures["resolved_monetary"].int == 1 && figures["closed_with_explanation"].int == 0)
            #expect(first["promise"]["response_days"].int == 7 && json.json["standard_deadlines"]["response_days"].int == 7)
            // On 10-13 a complaint of 30 September still has its standard deadline (after the holidays).
            #expect(json.json["final"].bool == false && json.json["period"].string == "2026-09")
            // Platform B had no complaint: listed, withheld, unranked.
            let second = try #require(platforms.last)
            #expect(second["rank"].isNull)
            #expect(second["figures"]["withheld"]["reason"].string == "too_few_complaints")
            let trend = json.json["trend"].array
            #expect(trend.map { $0["month"].string } == ["2026-09"])
            #expect(trend.map { $0["figures"]["complaints"].int } == [2])

            let csv = try await app.request(.get, "/public/v1/reports/platforms?\(period)", headers: [.accept: "text/csv"])
            #expect(csv.contentType == "text/csv; charset=utf-8")
            let lines = csv.text.split(separator: "\r\n").map(String.init)
            #expect(lines.first?.hasPrefix("platform_id,platform_name,period,rank,complaints") == true)
            let expectedRow = ",2026-09,1,2,0,,0,0,2,2,0,1,0.5000,1,0.5000,1,1,0,0,0,0.5000,1,0.5000,100000,50000,0,,false,7,0,0,0,0.0000,0"
            let rowOfA = lines.first { $0.hasPrefix(world.platformA + ",") } ?? ""
            #expect(rowOfA.hasSuffix(expectedRow), "\(csv.text)")
            #expect(lines.count == 5)  // the header, two platforms, two platforms × one month

            let page = try await app.request(.get, "/reports?\(period)")
            #expect(page.contentType == "text/html; charset=utf-8")
            #expect(page.text.contains("<svg id=\"chart-platforms\""))
            #expect(page.text.contains("<svg id=\"chart-trend\""))
            #expect(page.text.contains("data-value=\"0.5000\""))
            #expect(page.text.contains("平台排名"))
            #expect(!page.text.contains("<script"))
            let english = try await app.request(.get, "/reports?\(period)&lang=en")
            #expect(english.text.contains("Ranking"))
            #expect(english.text.contains("<html lang=\"en\""))
            let platformPage = try await app.request(.get, "/reports/platforms/\(world.platformA)?\(period)")
            #expect(platformPage.status == .ok)
            #expect(platformPage.text.contains("50.0%"))
            #expect(try await app.request(.get, "/reports/platforms/\(UUID())").status == .notFound)

            // A signed-in platform gets the same report as the public (not one restricted to itself).
            let asPlatformB = try await app.request(.get, "/public/v1/reports/platforms?\(period)", token: world.token("platform_staff_b"))
            #expect(asPlatformB.text == json.text)

            // October, once over, publishes the rating given in it.
            clock.set("2026-11-20T10:00:00+08:00")
            let october = try await app.request(.get, "/public/v1/reports/platforms?period=2026-10")
            let octoberOfA = october.json["platforms"].array.first { $0["platform"]["id"].string == world.platformA } ?? .null
            #expect(octoberOfA["figures"]["satisfaction"].double == 5 && octoberOfA["figures"]["ratings"].int == 1, "\(october.text)")

            for output in [json, csv, page, english, platformPage] {
                for word in Self.planted {
                    #expect(!output.text.contains(word), "\(word) leaked")
                }
            }
        }
    }

    @Test func smallNumbersAreWithheldAndAnswersAreCacheable() async throws {
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        try await withTestApp(configuration: Self.configuration(clock, minimum: 10)) { app in
            let world = try await scenario(app, clock)
            let response = try await app.request(.get, "/public/v1/reports/platforms?period=2026-09")
            let platforms = response.json["platforms"].array
            #expect(platforms.allSatisfy { $0["rank"].isNull })
            let platformA = world.platformA
            let figuresOfA = platforms.first { $0["platform"]["id"].string == platformA }?["figures"] ?? .null
            #expect(figuresOfA.object != nil, "\(response.text)")
            #expect(figuresOfA["complaints"].int == 2)
            #expect(figuresOfA["response_rate"].isNull)
            #expect(figuresOfA["responded"].isNull)
            #expect(figuresOfA["withheld"]["minimum_complaints"].int == 10)
            let page = try await app.request(.get, "/reports?period=2026-09")
            #expect(page.text.contains("投诉量不足 10 件，不公布比率"))
            #expect(!page.text.contains("class=\"response-rate\""))

            // Cache-Control and a strong ETag; the same bytes are not sent twice.
            #expect(response.headers[.cacheControl] == "public, max-age=60")
            let eTag = try #require(response.headers[.eTag])
            let again = try await app.request(.get, "/public/v1/reports/platforms?period=2026-09", headers: [.ifNoneMatch: eTag])
            #expect(again.status == .notModified)
            #expect(again.text.isEmpty)
            #expect(again.headers[.eTag] == eTag)

            // Bad input is a 422 naming the field.
            for (query, field) in [
                ("format=xml", "format"), ("from=2026-02-30", "from"), ("to=2026-01-01&from=2026-02-01", "to"),
                ("from=2026-09-01&to=2026-10-31", "period"), ("period=2026-13", "period"), ("period=0000", "period"),
            ] {
                let refused = try await app.request(.get, "/public/v1/reports/platforms?\(query)")
                #expect(refused.status == .unprocessableContent, "\(query)")
                #expect(refused.json["invalid_fields"].array.first?["field"].string == field, "\(query)")
            }
            #expect(try await app.request(.get, "/reports?lang=fr").status == .unprocessableContent)
        }
    }
}

@Suite("Report page formatting")
struct ReportFormattingTests {
    @Test func yuanAndCoordinates() {
        #expect(ReportPage.yuan(0) == "0.00")
        #expect(ReportPage.yuan(5) == "0.05")
        #expect(ReportPage.yuan(123_456_789) == "1,234,567.89")
        #expect(ReportPage.yuan(100_000) == "1,000.00")
        #expect(ReportPage.yuan(-2_050) == "-20.50")
        #expect(ReportPage.format(12.34) == "12.3")
        #expect(ReportPage.format(0.05) == "0.1")
        #expect(ReportPage.format(-3.26) == "-3.3")
        #expect(ReportPage.format(640) == "640.0")
    }
}
