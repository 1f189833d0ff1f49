import Foundation
import PostgresNIO
import RedressAPI
import StoreTestSupport
import Testing
import TestSupport

/// The figures measure every platform by the same rule, and nothing the measured platform or its
/// competitor controls moves them (Docs/metrics.md).
@Suite("Fair figures")
struct FairFiguresTests {
    static func configuration(_ clock: ManualClock) -> APIConfiguration {
        var configuration = ComplaintJourneyTests.configuration(clock)
        configuration.reportMinimumComplaints = 1
        configuration.reportMinimumRatings = 1
        return configuration
    }

    /// Platform A's totals for September and October, as the mediation body reads them.
    static func totals(_ app: TestApp, _ world: World) async throws -> JSON {
        let stats = try await app.request(
            .get, "/api/v1/stats/platforms/\(world.platformA)?from=2026-09-01&to=2026-10-31", token: world.token("mediator_a"))
        #expect(stats.status == .ok, "\(stats.text)")
        return stats.json["totals"]
    }

    /// A promise longer than the standard is refused; a shorter one sets the platform's deadline but
    /// not its yardstick; one stored before the standard existed counts as the standard. The report
    /// shows each platform's promise beside the standard.
    @Test func everyPlatformIsMeasuredAgainstTheStandardWhateverItPromises() async throws {
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        try await withTestApp(configuration: Self.configuration(clock), world: .seeded) { app in
            let world = try await app.makeWorld()
            let path = "/api/v1/platforms/\(world.platformA)"
            let longer = try await app.request(.patch, path, token: world.token("platform_admin_a"), json: ["response_days": 60])
            #expect(longer.status == .unprocessableContent)
            #expect(longer.json["invalid_fields"][0]["reason"].string == "longer_than_standard")
            let merchantLonger = try await app.request(.patch, path, token: world.token("admin"), json: ["merchant_response_days": 4])
            #expect(merchantLonger.json["invalid_fields"][0]["reason"].string == "longer_than_standard")
            #expect(try await app.request(.patch, path, token: world.token("platform_admin_a"), json: ["response_days": 3]).status == .ok)

            let quick = try await app.request(.post, "/api/v1/complaints", token: world.token("consumer"), json: app.complaintBody(world))
            // Its promise: 3 working days (25 September is the Mid-Autumn Festival).
            #expect(quick.json["deadline_at"].string == "2026-09-30T23:59:59.999+08:00")
            #expect(quick.json["standard_deadline_at"].string == "2026-10-12T23:59:59.999+08:00")  // the standard: 7
            let quickID = try #require(quick.json["id"].string)

            // A policy stored before the standard existed (no API accepts it now) counts as the standard.
            try await app.asOwner { try await $0.query("UPDATE platforms SET response_days = 60", logger: TestDatabase.logger) }
            let slow = try await app.request(.post, "/api/v1/complaints", token: world.token("consumer"), json: app.complaintBody(world))
            #expect(slow.json["deadline_at"].string == "2026-10-12T23:59:59.999+08:00")

            // Later than its promise, within the standard: overdue for the consumer, on time in the figures.
            clock.set("2026-10-09T10:00:00+08:00")
            _ = try await ComplaintJourneyTests.job(app, clock).runOnce()
            #expect(try await app.request(.get, "/api/v1/complaints/\(quickID)", token: world.token("consumer")).json["overdue"].bool == true)
            let answered = try await app.act(quickID, "respond", as: world.token("platform_staff_a"), ["decision": "propose", "proposal": ["refund": 50_000]])
            #expect(answered.json["first_response_on_time"].bool == true, "\(answered.text)")
            #expect(try await app.request(.patch, path, token: world.token("admin"), json: ["response_days": 1]).status == .ok)

            clock.set("2026-11-20T10:00:00+08:00")
            let report = try await app.request(.get, "/public/v1/reports/platforms?period=2026-09")
            let entryOfA = report.json["platforms"].array.first { $0["platform"]["id"].string == world.platformA } ?? .null
            #expect(entryOfA["promise"]["response_days"].int == 1)
            #expect(report.json["standard_deadlines"]["response_days"].int == 7)
            #expect(report.json["final"].bool == true)
            #expect(entryOfA["figures"]["responded_on_time"].int == 1)
            #expect(try await app.statisticsDiscrepancies() == 0)
        }
    }

    /// A policy change applies to complaints filed after it: a case keeps the promise it was filed
    /// under when it reaches the platform's stage later.
    @Test func aCaseKeepsThePromiseItWasFiledUnder() async throws {
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        try await withTestApp(configuration: Self.configuration(clock), world: .seeded) { app in
            let world = try await app.makeWorld()
            let path = "/api/v1/platforms/\(world.platformA)"
            let admin = world.token("platform_admin_a")
            #expect(try await app.request(.patch, path, token: admin, json: ["merchant_first": true, "response_days": 3]).status == .ok)
            var body = app.complaintBody(world)
            body["merchant_id"] = world.merchantA
            let filed = try await app.request(.post, "/api/v1/complaints", token: world.token("consumer"), json: body)
            #expect(filed.json["state"].string == "awaiting_merchant", "\(filed.text)")
            let id = try #require(filed.json["id"].string)
            #expect(try await app.request(.patch, path, token: admin, json: ["response_days": 1]).status == .ok)
            let moved = try await app.act(id, "escalate_to_platform", as: world.token("consumer"))
            #expect(moved.json["state"].string == "awaiting_platform")
            #expect(moved.json["deadline_at"].string == "2026-09-30T23:59:59.999+08:00", "\(moved.text)")  // 3 working days, not 1
            let later = try await app.request(.post, "/api/v1/complaints", token: world.token("consumer"), json: app.complaintBody(world))
            #expect(later.json["deadline_at"].string == "2026-09-28T23:59:59.999+08:00")  // filed after the change: 1
        }
    }

    /// A competitor who registers, files and withdraws at once, a complaint the mediation body finds
    /// invalid, and a case still inside its standard deadline: none moves the platform's rates. A
    /// platform's own staff cannot file at all.
    @Test func withdrawalsInvalidComplaintsAndCasesStillInTimeDoNotMoveTheRates() async throws {
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        try await withTestApp(configuration: Self.configuration(clock), world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer"), staff = world.token("platform_staff_a")
            var ids: [String] = []
            for _ in 0..<3 { ids.append(try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))) }
            let selfFiled = try await app.request(.post, "/api/v1/complaints", token: staff, json: app.complaintBody(world))
            #expect(selfFiled.status == .forbidden)

            clock.set("2026-09-25T10:00:00+08:00")
            for id in ids.prefix(2) { try await app.step(id, "respond", as: staff, ["decision": "propose", "proposal": ["refund": 50_000]]) }
            // Nothing is late yet: the third still has its standard deadline.
            var totals = try await Self.totals(app, world)
            #expect((totals["counted"].int, totals["due"].int, totals["responded_on_time"].int) == (3, 2, 2))
            #expect(totals["on_time_rate"]["value"].double == 1)

            // A competitor's throw-away account files five and withdraws them at once.
            _ = try await app.createConsumer(["email": "rival@redress.test", "password": worldPassword, "display_name": "路人"])
            let rival = try await app.login("rival@redress.test")
            for _ in 0..<5 {
                let id = try await app.create("/api/v1/complaints", token: rival, app.complaintBody(world))
                try await app.step(id, "withdraw", as: rival)
            }
            let afterRival = try await Self.totals(app, world)
            #expect(afterRival["complaints"].int == 8 && afterRival["withdrawn"].int == 5)
            for rate in ["response_rate", "on_time_rate", "resolution_rate", "escalation_rate"] {
                #expect(afterRival[rate] == totals[rate], "\(rate)")
            }

            // The third passes its standard deadline unanswered: due, and late.
            clock.set("2026-10-13T10:00:00+08:00")
            let outcome = try await ComplaintJourneyTests.job(app, clock).runOnce()
            #expect(outcome.becameDue == 1)
            totals = try await Self.totals(app, world)
            #expect((totals["due"].int, totals["on_time_rate"]["numerator"].int, totals["on_time_rate"]["denominator"].int) == (3, 2, 3))

            // Escalated, and found to be about no such order: out of the rates, counted as invalid.
            let third = ids[2]
            try await app.step(third, "escalate", as: consumer, ["mediation_body_id": world.bodyA])
            let byPlatform = try await app.act(third, "mark_invalid", as: staff, ["invalid_reason": "no_such_order", "reason": "查无此单"])
            #expect(byPlatform.status == .notFound || byPlatform.status == .forbidden, "\(byPlatform.text)")
            let byConsumer = try await app.act(third, "mark_invalid", as: consumer, ["invalid_reason": "no_such_order", "reason": "x"])
            #expect(byConsumer.status == .forbidden)
            let unexplained = try await app.act(third, "mark_invalid", as: world.token("mediator_a"), ["invalid_reason": "no_such_order"])
            #expect(unexplained.status == .unprocessableContent)
            let unknownGround = try await app.act(
                third, "mark_invalid", as: world.token("mediator_a"), ["invalid_reason": String(repeating: "x", count: 5_000), "reason": "x"])
            #expect(unknownGround.json["invalid_fields"][0]["reason"].string == "unknown_value", "\(unknownGround.text)")
            let longNote = try await app.act(
                third, "mark_invalid", as: world.token("mediator_a"), ["invalid_reason": "duplicate", "reason": String(repeating: "重", count: 2_001)])
            #expect(longNote.status == .unprocessableContent)
            let marked = try await app.act(
                third, "mark_invalid", as: world.token("mediator_a"), ["invalid_reason": "no_such_order", "reason": "平台与支付渠道均查无此订单"])
            #expect(marked.json["state"].string == "invalid" && marked.json["invalid_reason"].string == "no_such_order", "\(marked.text)")
            #expect(marked.json["allowed_actions"].array.isEmpty)
            totals = try await Self.totals(app, world)
            #expect((totals["invalid"].int, totals["counted"].int, totals["due"].int) == (1, 2, 2))
            #expect(totals["on_time_rate"]["value"].double == 1 && totals["escalation_rate"]["value"].double == 0)
            let timeline = try await app.request(.get, "/api/v1/complaints/\(third)/timeline?limit=200", token: consumer)
            #expect(timeline.text.contains("complaint.standard_deadline_passed") && timeline.text.contains("complaint.mark_invalid"))
            #expect(try await app.statisticsDiscrepancies() == 0)
        }
    }

    /// A platform that answered and holds a complaint invalid takes it to the mediation body, which
    /// rules; it cannot mark it invalid itself, nor pick the body.
    @Test func aPlatformDisputesAComplaintAndTheMediationBodyRules() async throws {
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        try await withTestApp(configuration: Self.configuration(clock), world: .seeded) { app in
            let world = try await app.makeWorld()
            #expect(try await app.request(
                .patch, "/api/v1/platforms/\(world.platformA)", token: world.token("admin"), json: ["default_mediation_body_id": world.bodyA]).status == .ok)
            let consumer = world.token("consumer"), staff = world.token("platform_staff_a")
            let id = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            let early = try await app.act(id, "dispute_validity", as: staff, ["invalid_reason": "no_such_order", "reason": "查无此单"])
            #expect(early.status == .conflict, "the platform answers first: \(early.text)")
            try await app.step(id, "respond", as: staff, ["decision": "reject", "reason": "平台与支付渠道均查无此订单"])
            let ungrounded = try await app.act(id, "dispute_validity", as: staff, ["reason": "查无此单"])
            #expect(ungrounded.status == .unprocessableContent)
            let disputed = try await app.act(
                id, "dispute_validity", as: staff, ["invalid_reason": "no_such_order", "reason": "查无此单", "mediation_body_id": world.bodyB])
            #expect(disputed.json["state"].string == "escalated" && disputed.json["mediation_body_id"].string == world.bodyA, "\(disputed.text)")
            #expect(try await app.act(id, "mark_invalid", as: staff, ["invalid_reason": "no_such_order", "reason": "x"]).status == .forbidden)
            let ruled = try await app.act(
                id, "mark_invalid", as: world.token("mediator_a"), ["invalid_reason": "no_such_order", "reason": "核实无此订单"])
            #expect(ruled.json["state"].string == "invalid", "\(ruled.text)")
            let totals = try await Self.totals(app, world)
            #expect((totals["complaints"].int, totals["counted"].int, totals["invalid"].int, totals["escalated"].int) == (1, 0, 1, 0))
            #expect(try await app.statisticsDiscrepancies() == 0)
        }
    }

    /// Accepting a reasoned rejection ends the case with the explanation: closed, not resolved.
    @Test func anAcceptedRejectionClosesAsAnExplanationNotAResolution() async throws {
        let clock = ManualClock("2026-09-24T10:00:00+08:00")
        try await withTestApp(configuration: Self.configuration(clock), world: .seeded) { app in
            let world = try await app.makeWorld()
            let consumer = world.token("consumer")
            let rejected = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            let refunded = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            let apologised = try await app.create("/api/v1/complaints", token: consumer, app.complaintBody(world))
            let staff = world.token("platform_staff_a")
            try await app.step(rejected, "respond", as: staff, ["decision": "reject", "reason": "卡密已于下单后发放，见发货记录"])
            try await app.step(refunded, "respond", as: staff, ["decision": "propose", "proposal": ["refund": 50_000]])
            try await app.step(apologised, "respond", as: staff, ["decision": "propose", "proposal": ["apology": true, "reissue": true]])
            let accepted = try await app.act(rejected, "accept", as: consumer)
            #expect(accepted.json["state"].string == "closed" && accepted.json["outcome"].string == "explanation", "\(accepted.text)")
            for id in [refunded, apologised] {
                try await app.step(id, "accept", as: consumer)
                try await app.step(id, "confirm_fulfilment", as: consumer)
            }
            #expect(try await app.request(.get, "/api/v1/complaints/\(refunded)", token: consumer).json["outcome"].string == "monetary_relief")
            #expect(try await app.request(.get, "/api/v1/complaints/\(apologised)", token: consumer).json["outcome"].string == "non_monetary_relief")
            let totals = try await Self.totals(app, world)
            #expect((totals["resolved"].int, totals["resolved_monetary"].int, totals["resolved_non_monetary"].int) == (2, 1, 1))
            #expect(totals["closed_with_explanation"].int == 1)
            #expect(totals["resolution_rate"]["numerator"].int == 2 && totals["resolution_rate"]["denominator"].int == 3)
            #expect(try await app.statisticsDiscrepancies() == 0)
        }
    }
}
